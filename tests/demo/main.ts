// Stand-alone entry for the demo app (bundled to build/demo/app.mjs by `npm start -- --prepare`),
// used by docker-compose: node app.mjs [httpPort grpcPort tcpPort]
import { startDemoApp } from "./app";

const [httpPort = 8080, grpcPort = 8081, tcpPort = 9000] = process.argv.slice(2).map(Number);
const app = await startDemoApp({ httpPort, grpcPort, tcpPort }, process.env.DEMO_BIND ?? "127.0.0.1");
console.log(`demo app: http/1.1 :${app.httpPort}  h2c gRPC-ish :${app.grpcPort}  tcp echo :${app.tcpPort}`);
const stop = () => { app.close().then(() => process.exit(0)); };
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
