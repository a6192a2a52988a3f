// Envoy's admin interface, the parts tests and the demo use: /stats/prometheus, /stats, /ready,
// /server_info. Everything else answers 404 as an unknown admin path does.
import http from "node:http";
import type { NodeInfo, StatsStore } from "../api";

export function createAdminServer(stats: StatsStore, node: NodeInfo, isReady: () => boolean): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://admin");
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { "content-type": type, "cache-control": "no-cache, max-age=0" });
      res.end(body);
    };
    switch (url.pathname) {
      case "/stats/prometheus":
        return send(200, "text/plain; charset=UTF-8", stats.prometheus());
      case "/stats":
        return send(200, "text/plain; charset=UTF-8", stats.text());
      case "/ready":
        return isReady() ? send(200, "text/plain; charset=UTF-8", "LIVE\n") : send(503, "text/plain; charset=UTF-8", "PRE_INITIALIZING\n");
      case "/server_info":
        return send(200, "application/json", JSON.stringify({ state: isReady() ? "LIVE" : "PRE_INITIALIZING", node }, null, 2));
      default:
        return send(404, "text/plain; charset=UTF-8", "invalid path. admin commands are: /ready /server_info /stats /stats/prometheus\n");
    }
  });
}
