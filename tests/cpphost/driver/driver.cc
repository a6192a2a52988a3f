// Envoy's side of the proxy-wasm ABI on top of proxy-wasm-cpp-host + WAMR, driven by a scenario.
//
// cpp-host supplies what Envoy links from it (import checks and their messages, ABI detection, the
// start-up sequence, malloc protocol, status conversions, pairs codec, shared data, queues); this
// driver supplies what Envoy's `Extensions::Common::Wasm::Context` supplies (header maps, buffers,
// properties, filter state, metrics, local replies, http_call) the way tests/host does, and calls in
// Envoy's order: base VM (load + initialize), the configuration canary (a clone: start + configure,
// then dropped), then one clone per worker (start + configure); per HTTP stream decodeHeaders ..
// encodeTrailers, then log (access-log phase), then onDestroy (done, delete); per TCP connection
// new connection, data, close (done, log, delete).
//
// Input (stdin): a scenario JSON (see tests/cpphost/scenario.ts). Output (stdout): a report JSON.
// Property values are not computed here: the Node side computes them with tests/host's property
// code (one implementation) and passes them per stream event; paths it has not supplied are listed
// in the report (`missing`) so it can supply them and run again.
#include <algorithm>
#include <chrono>
#include <set>
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "include/proxy-wasm/context.h"
#include "include/proxy-wasm/wamr.h"
#include "include/proxy-wasm/wasm.h"
#include "json.h"

using namespace proxy_wasm;
using json::quote;
using json::toHex;

namespace {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// ---- process-wide state (Envoy's stats store, log sink)
struct Metric {
  MetricType type;
  int64_t value = 0;
  uint64_t samples = 0;
};
std::map<std::string, Metric> g_metrics;
std::vector<std::pair<uint32_t, std::string>> g_logs;
std::vector<std::string> g_errors;
uint32_t g_log_level = 2;
const json::Value *g_root_props = nullptr;
std::set<std::string> g_root_missing;
std::string g_last_error;

HeaderList headersFrom(const json::Value &v) {
  HeaderList h;
  for (const auto &p : v.a)
    if (p.a.size() == 2) h.emplace_back(p.a[0].s, p.a[1].s);
  return h;
}

std::string headersJson(const HeaderList &h) {
  std::string out = "[";
  for (size_t i = 0; i < h.size(); i++)
    out += (i ? "," : "") + std::string("[") + quote(h[i].first) + "," + quote(h[i].second) + "]";
  return out + "]";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Integration : public WasmVmIntegration {
public:
  WasmVmIntegration *clone() override { return new Integration{}; }
  LogLevel getLogLevel() override { return static_cast<LogLevel>(g_log_level); }
  void error(std::string_view message) override {
    g_errors.emplace_back(message);
    if (g_last_error.empty()) g_last_error = std::string(message);
  }
  void trace(std::string_view) override {}
  bool getNullVmFunction(std::string_view, bool, int, NullPlugin *, void *) override { return false; }
};

// A mutable buffer with Envoy's Buffer::copyFrom rules (start 0: drain `length`, prepend; start at
// or past the end: append; otherwise BadArgument).
struct MutableBuffer : public BufferBase {
  std::string bytes;
  bool changed = false;
  MutableBuffer *use(std::string b) {
    bytes = std::move(b);
    BufferBase::set(std::string_view(bytes));
    return this;
  }
  size_t size() const override { return bytes.size(); }
  WasmResult copyFrom(size_t start, size_t length, std::string_view data) override {
    if (start == 0) {
      bytes = std::string(data) + bytes.substr(std::min(length, bytes.size()));
    } else if (start >= bytes.size()) {
      bytes += std::string(data);
    } else {
      return WasmResult::BadArgument;
    }
    changed = true;
    BufferBase::set(std::string_view(bytes));
    return WasmResult::Ok;
  }
};

struct Stream; // per HTTP stream / TCP connection state

class DriverWasm;

class DriverContext : public ContextBase {
public:
  DriverContext(WasmBase *wasm) : ContextBase(wasm) {}
  DriverContext(WasmBase *wasm, const std::shared_ptr<PluginBase> &plugin) : ContextBase(wasm, plugin) {}
  DriverContext(WasmBase *wasm, uint32_t parent, const std::shared_ptr<PluginHandleBase> &handle, Stream *s)
      : ContextBase(wasm, parent, handle), stream_(s) {}

  void setAllowStop(bool allow) { allow_on_headers_stop_iteration_ = allow; }
  bool inVmContextCreated() const { return in_vm_context_created_; }

  // General
  WasmResult log(uint32_t level, std::string_view message) override {
    g_logs.emplace_back(level, std::string(message));
    return WasmResult::Ok;
  }
  uint32_t getLogLevel() override { return g_log_level; }
  uint64_t getCurrentTimeNanoseconds() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  uint64_t getMonotonicTimeNanoseconds() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  std::string_view getConfiguration() override;
  std::pair<uint32_t, std::string_view> getStatus() override;
  void error(std::string_view message) override { g_errors.emplace_back(message); }
  WasmResult unimplemented() override { return WasmResult::Unimplemented; }

  BufferInterface *getBuffer(WasmBufferType type) override;
  bool endOfStream(WasmStreamType type) override;

  // Headers
  HeaderList *map(WasmHeaderMapType type, bool mutate);
  WasmResult addHeaderMapValue(WasmHeaderMapType type, std::string_view key, std::string_view value) override;
  WasmResult getHeaderMapValue(WasmHeaderMapType type, std::string_view key, std::string_view *result) override;
  WasmResult getHeaderMapPairs(WasmHeaderMapType type, Pairs *result) override;
  WasmResult setHeaderMapPairs(WasmHeaderMapType type, const Pairs &pairs) override;
  WasmResult removeHeaderMapValue(WasmHeaderMapType type, std::string_view key) override;
  WasmResult replaceHeaderMapValue(WasmHeaderMapType type, std::string_view key, std::string_view value) override;
  WasmResult getHeaderMapSize(WasmHeaderMapType type, uint32_t *result) override;

  // Properties
  WasmResult getProperty(std::string_view path, std::string *result) override;
  WasmResult setProperty(std::string_view key, std::string_view value) override;

  // Stream control
  WasmResult continueStream(WasmStreamType type) override;
  WasmResult closeStream(WasmStreamType type) override;
  WasmResult sendLocalResponse(uint32_t code, std::string_view body, Pairs headers, GrpcStatusCode grpc,
                               std::string_view details) override;
  void clearRouteCache() override {}
  void failStream(WasmStreamType type) override;

  // Metrics
  WasmResult defineMetric(uint32_t type, std::string_view name, uint32_t *id) override;
  WasmResult incrementMetric(uint32_t id, int64_t offset) override;
  WasmResult recordMetric(uint32_t id, uint64_t value) override;
  WasmResult getMetric(uint32_t id, uint64_t *value) override;

  // HTTP callouts
  WasmResult httpCall(std::string_view cluster, const Pairs &headers, std::string_view body, const Pairs &trailers,
                      int timeout_ms, uint32_t *token) override;
  WasmResult grpcCall(std::string_view, std::string_view, std::string_view, const Pairs &, std::string_view,
                      std::chrono::milliseconds, GrpcToken *) override {
    return WasmResult::InternalFailure; // as tests/host: gRPC callouts are a known gap
  }
  WasmResult grpcStream(std::string_view, std::string_view, std::string_view, const Pairs &, GrpcToken *) override {
    return WasmResult::InternalFailure;
  }

  Stream *stream_ = nullptr;
  // http_call response being delivered (proxy_on_http_call_response window)
  HeaderList *call_headers_ = nullptr;
  HeaderList *call_trailers_ = nullptr;
  MutableBuffer buffer_;
  std::string status_message_;
  uint32_t status_code_ = 0;
};

// ---- per stream / connection
struct Stream {
  int index = 0;
  bool http = true;
  const json::Value *tmpl = nullptr;
  int event = -1;
  std::unique_ptr<DriverContext> ctx;
  HeaderList req_headers, resp_headers, req_trailers, resp_trailers;
  bool have_req_headers = false, have_resp_headers = false, have_req_trailers = false, have_resp_trailers = false;
  // Envoy's request_headers_ / response_headers_ pointers: set while the filter may touch them.
  bool req_headers_live = false, resp_headers_live = false, req_trailers_live = false, resp_trailers_live = false;
  bool access_log_phase = false;
  bool end_of_stream = false;
  std::string req_body, resp_body, down_data, up_data; // buffered body as the filter sees it
  bool req_buffering = false, resp_buffering = false;
  MutableBuffer body_buffer;
  WasmBufferType body_type = WasmBufferType::HttpRequestBody;
  bool local_reply_sent = false;
  bool local_reply_encoded = false; // the reply has been run through this filter's encoder side
  std::string local_reply_json;
  std::vector<std::string> statuses;
  std::vector<std::string> actions;
  std::map<std::string, std::string> filter_state, upstream_filter_state;
  std::set<std::string> *missing = nullptr; // "event:pathhex"
  bool closed = false;
};

// pending http_call answers: context + token
struct PendingCall {
  DriverContext *ctx;
  uint32_t token;
  std::string cluster;
};
std::vector<PendingCall> g_pending_calls;
// Work cpp-host posts to the worker's dispatcher (queue-ready notifications): run after the call.
std::vector<std::function<void()>> g_posted;
const json::Value *g_scenario = nullptr;

class DriverWasm : public WasmBase {
public:
  DriverWasm(std::unique_ptr<WasmVm> vm, std::string_view vm_id, std::string_view vm_config, std::string_view vm_key)
      : WasmBase(std::move(vm), vm_id, vm_config, vm_key, {}, {}) {}
  DriverWasm(const std::shared_ptr<WasmHandleBase> &base, const WasmVmFactory &factory) : WasmBase(base, factory) {}
  ContextBase *createVmContext() override { return new DriverContext(this); }
  ContextBase *createRootContext(const std::shared_ptr<PluginBase> &plugin) override {
    auto *c = new DriverContext(this, plugin);
    c->setAllowStop(allow_stop_);
    return c;
  }
  void error(std::string_view message) override {
    g_errors.emplace_back(message);
    if (g_last_error.empty()) g_last_error = std::string(message);
  }
  // Timers: recorded, fired by the scenario's `ticks`.
  void setTimerPeriod(uint32_t root_context_id, std::chrono::milliseconds period) override {
    timer_periods_[root_context_id] = period.count();
  }
  CallOnThreadFunction callOnThreadFunction() override {
    return [](std::function<void()> f) { g_posted.push_back(std::move(f)); };
  }
  std::map<uint32_t, int64_t> timer_periods_;
  std::map<std::string, uint32_t> metric_ids_;
  std::map<uint32_t, std::string> metric_names_;
  bool allow_stop_ = false;
  uint64_t memory() { return wasm_vm()->getMemorySize(); }
};

std::string_view DriverContext::getConfiguration() {
  // Envoy: PLUGIN_CONFIGURATION in on_configure (temp_plugin_), else the plugin's.
  if (temp_plugin_) return temp_plugin_->plugin_configuration_;
  if (plugin_) return plugin_->plugin_configuration_;
  return "";
}

std::pair<uint32_t, std::string_view> DriverContext::getStatus() {
  // Only inside an http_call / gRPC response callback (Envoy's status_code_/status_message_).
  return {status_code_, status_message_};
}

BufferInterface *DriverContext::getBuffer(WasmBufferType type) {
  switch (type) {
  case WasmBufferType::VmConfiguration:
    return buffer_.use(std::string(wasm()->vm_configuration()));
  case WasmBufferType::PluginConfiguration:
    if (temp_plugin_) return buffer_.use(temp_plugin_->plugin_configuration_);
    return nullptr;
  case WasmBufferType::HttpCallResponseBody:
    if (call_headers_) return &buffer_;
    return nullptr;
  case WasmBufferType::HttpRequestBody:
  case WasmBufferType::HttpResponseBody:
  case WasmBufferType::NetworkDownstreamData:
  case WasmBufferType::NetworkUpstreamData:
    if (stream_ && stream_->body_type == type && stream_->event >= 0) return &stream_->body_buffer;
    return nullptr;
  default:
    return nullptr;
  }
}

bool DriverContext::endOfStream(WasmStreamType) { return stream_ ? stream_->end_of_stream : true; }

HeaderList *DriverContext::map(WasmHeaderMapType type, bool mutate) {
  if (type == WasmHeaderMapType::HttpCallResponseHeaders) return mutate ? nullptr : call_headers_;
  if (type == WasmHeaderMapType::HttpCallResponseTrailers) return mutate ? nullptr : call_trailers_;
  if (!stream_ || !stream_->http) return nullptr;
  Stream &s = *stream_;
  if (s.access_log_phase) {
    // Envoy: the access-log maps are readable, never writable.
    if (mutate) return nullptr;
    switch (type) {
    case WasmHeaderMapType::RequestHeaders: return s.have_req_headers ? &s.req_headers : nullptr;
    case WasmHeaderMapType::ResponseHeaders: return s.have_resp_headers ? &s.resp_headers : nullptr;
    case WasmHeaderMapType::ResponseTrailers: return s.have_resp_trailers ? &s.resp_trailers : nullptr;
    default: return nullptr;
    }
  }
  switch (type) {
  case WasmHeaderMapType::RequestHeaders: return s.req_headers_live ? &s.req_headers : nullptr;
  case WasmHeaderMapType::ResponseHeaders: return s.resp_headers_live ? &s.resp_headers : nullptr;
  case WasmHeaderMapType::RequestTrailers: return s.req_trailers_live ? &s.req_trailers : nullptr;
  case WasmHeaderMapType::ResponseTrailers: return s.resp_trailers_live ? &s.resp_trailers : nullptr;
  default: return nullptr;
  }
}

WasmResult DriverContext::getHeaderMapValue(WasmHeaderMapType type, std::string_view key, std::string_view *result) {
  auto *m = map(type, false);
  if (!m) {
    if (stream_ && stream_->access_log_phase) return WasmResult::NotFound;
    return WasmResult::BadArgument;
  }
  auto k = lower(key);
  for (auto &p : *m)
    if (p.first == k) {
      *result = p.second;
      return WasmResult::Ok;
    }
  // Envoy Context::getHeaderMapValue: ABI 0.1.0 modules get OK and an empty value for a missing key.
  if (wasm()->abiVersion() == AbiVersion::ProxyWasm_0_1_0) {
    *result = "";
    return WasmResult::Ok;
  }
  return WasmResult::NotFound;
}

WasmResult DriverContext::getHeaderMapPairs(WasmHeaderMapType type, Pairs *result) {
  auto *m = map(type, false);
  if (!m) return WasmResult::Ok; // Envoy: no map -> empty pairs
  for (auto &p : *m) result->emplace_back(p.first, p.second);
  return WasmResult::Ok;
}

WasmResult DriverContext::setHeaderMapPairs(WasmHeaderMapType type, const Pairs &pairs) {
  auto *m = map(type, true);
  if (!m) return WasmResult::BadArgument;
  m->clear();
  for (auto &p : pairs) m->emplace_back(lower(p.first), std::string(p.second));
  return WasmResult::Ok;
}

WasmResult DriverContext::addHeaderMapValue(WasmHeaderMapType type, std::string_view key, std::string_view value) {
  auto *m = map(type, true);
  if (!m) return WasmResult::BadArgument;
  m->emplace_back(lower(key), std::string(value));
  return WasmResult::Ok;
}

WasmResult DriverContext::removeHeaderMapValue(WasmHeaderMapType type, std::string_view key) {
  auto *m = map(type, true);
  if (!m) return WasmResult::BadArgument;
  auto k = lower(key);
  m->erase(std::remove_if(m->begin(), m->end(), [&](auto &p) { return p.first == k; }), m->end());
  return WasmResult::Ok;
}

WasmResult DriverContext::replaceHeaderMapValue(WasmHeaderMapType type, std::string_view key, std::string_view value) {
  // Envoy HeaderMapImpl::setCopy (current): remove every entry of the key, then append one.
  auto *m = map(type, true);
  if (!m) return WasmResult::BadArgument;
  auto k = lower(key);
  m->erase(std::remove_if(m->begin(), m->end(), [&](auto &p) { return p.first == k; }), m->end());
  m->emplace_back(k, std::string(value));
  return WasmResult::Ok;
}

WasmResult DriverContext::getHeaderMapSize(WasmHeaderMapType type, uint32_t *result) {
  auto *m = map(type, false);
  if (!m) return WasmResult::BadArgument;
  uint32_t n = 0;
  for (auto &p : *m) n += p.first.size() + p.second.size();
  *result = n;
  return WasmResult::Ok;
}

// Property values come from the scenario: per stream event `props`, for roots `root_props`
// ({"v": hex} a value, {"s": status} a status, {"fs": true} Envoy's filter-state fallback).
WasmResult DriverContext::getProperty(std::string_view path, std::string *result) {
  std::string key = toHex(path);
  const json::Value *table = nullptr;
  Stream *s = stream_;
  if (s && s->event >= 0) table = &(*s->tmpl)["events"].a[s->event]["props"];
  else if (!s) table = g_root_props;
  const json::Value *entry = table ? &(*table)[key] : nullptr;
  if (!entry || entry->kind != json::Value::Object) {
    if (s && s->event >= 0 && s->missing) s->missing->insert(std::to_string(s->event) + ":" + key);
    else if (!s) g_root_missing.insert(key);
    else if (s && s->missing) s->missing->insert("log:" + key);
    return WasmResult::NotFound;
  }
  if (entry->has("v")) {
    *result = json::fromHex((*entry)["v"].s);
    return WasmResult::Ok;
  }
  if (entry->has("fs") && s) {
    // Envoy Context::findValue: an unknown name is "wasm.<name>" in the stream's filter state, then
    // in the upstream connection's filter state.
    std::string name(path.substr(0, path.find('\0')));
    if (name.size() != path.size()) return WasmResult::NotFound;
    auto it = s->filter_state.find("wasm." + name);
    if (it != s->filter_state.end()) { *result = it->second; return WasmResult::Ok; }
    it = s->upstream_filter_state.find("wasm." + name);
    if (it != s->upstream_filter_state.end()) { *result = it->second; return WasmResult::Ok; }
    return WasmResult::NotFound;
  }
  return static_cast<WasmResult>((*entry)["s"].num(1));
}

WasmResult DriverContext::setProperty(std::string_view key, std::string_view value) {
  // Envoy: filter state "wasm.<key>" of the stream; no stream info (root) -> NotFound.
  if (!stream_) return WasmResult::NotFound;
  stream_->filter_state["wasm." + std::string(key)] = std::string(value);
  return WasmResult::Ok;
}

WasmResult DriverContext::continueStream(WasmStreamType type) {
  if (!stream_) return WasmResult::BadArgument;
  auto *s = stream_;
  wasm()->addAfterVmCallAction([s, type] {
    s->actions.push_back(type == WasmStreamType::Request ? "continueDecoding"
                         : type == WasmStreamType::Response ? "continueEncoding" : "continueReading");
  });
  if (type == WasmStreamType::Request) s->req_headers_live = false;
  if (type == WasmStreamType::Response) s->resp_headers_live = false;
  return WasmResult::Ok;
}

WasmResult DriverContext::closeStream(WasmStreamType type) {
  if (!stream_) return WasmResult::BadArgument;
  auto *s = stream_;
  wasm()->addAfterVmCallAction([s, type] {
    s->actions.push_back(s->http ? "resetStream" : (type == WasmStreamType::Downstream ? "closeDownstream" : "closeUpstream"));
  });
  return WasmResult::Ok;
}

void DriverContext::failStream(WasmStreamType) {
  if (stream_ && stream_->http && !stream_->local_reply_sent) {
    stream_->local_reply_sent = true;
    stream_->local_reply_json = "{\"status\":503,\"body\":\"\",\"headers\":[],\"grpc_status\":null,\"details\":\"wasm_fail_stream\"}";
  }
  if (stream_) stream_->actions.push_back("failStream");
}

WasmResult DriverContext::sendLocalResponse(uint32_t code, std::string_view body, Pairs headers, GrpcStatusCode grpc,
                                            std::string_view details) {
  if (!stream_ || !stream_->http) return WasmResult::Ok; // root context: nothing to reply to
  if (stream_->local_reply_sent) return WasmResult::BadArgument;
  HeaderList h;
  for (auto &p : headers) h.emplace_back(std::string(p.first), std::string(p.second));
  std::string d(details);
  for (auto &c : d) if (c == ' ' || c == '\t') c = '_'; // Envoy: details may not contain whitespace
  stream_->local_reply_sent = true;
  stream_->local_reply_json = "{\"status\":" + std::to_string(code) + ",\"body\":" + quote(body) + ",\"headers\":" +
                              headersJson(h) + ",\"grpc_status\":" +
                              (static_cast<int32_t>(grpc) < 0 ? "null" : std::to_string(static_cast<int32_t>(grpc))) +
                              ",\"details\":" + quote(d) + "}";
  return WasmResult::Ok;
}

WasmResult DriverContext::defineMetric(uint32_t type, std::string_view name, uint32_t *id) {
  if (type > static_cast<uint32_t>(MetricType::Max)) return WasmResult::BadArgument;
  auto *w = static_cast<DriverWasm *>(wasm());
  std::string n(name);
  auto it = w->metric_ids_.find(n);
  if (it != w->metric_ids_.end()) { *id = it->second; return WasmResult::Ok; }
  uint32_t mid = type == 0 ? w->nextCounterMetricId() : type == 1 ? w->nextGaugeMetricId() : w->nextHistogramMetricId();
  w->metric_ids_[n] = mid;
  w->metric_names_[mid] = n;
  auto &m = g_metrics[n];
  m.type = static_cast<MetricType>(type);
  *id = mid;
  return WasmResult::Ok;
}

WasmResult DriverContext::incrementMetric(uint32_t id, int64_t offset) {
  auto *w = static_cast<DriverWasm *>(wasm());
  auto it = w->metric_names_.find(id);
  if (it == w->metric_names_.end()) return WasmResult::NotFound;
  auto &m = g_metrics[it->second];
  if (w->isCounterMetricId(id)) {
    if (offset < 0) return WasmResult::BadArgument;
    m.value += offset;
    return WasmResult::Ok;
  }
  if (w->isGaugeMetricId(id)) { m.value += offset; return WasmResult::Ok; }
  return WasmResult::BadArgument;
}

WasmResult DriverContext::recordMetric(uint32_t id, uint64_t value) {
  auto *w = static_cast<DriverWasm *>(wasm());
  auto it = w->metric_names_.find(id);
  if (it == w->metric_names_.end()) return WasmResult::NotFound;
  auto &m = g_metrics[it->second];
  if (w->isCounterMetricId(id)) m.value += value;
  else if (w->isGaugeMetricId(id)) m.value = value;
  else { m.value += value; m.samples++; }
  return WasmResult::Ok;
}

WasmResult DriverContext::getMetric(uint32_t id, uint64_t *value) {
  auto *w = static_cast<DriverWasm *>(wasm());
  auto it = w->metric_names_.find(id);
  if (it == w->metric_names_.end()) return WasmResult::NotFound;
  if (w->isHistogramMetricId(id)) return WasmResult::BadArgument;
  *value = g_metrics[it->second].value;
  return WasmResult::Ok;
}

WasmResult DriverContext::httpCall(std::string_view cluster, const Pairs &headers, std::string_view, const Pairs &,
                                   int, uint32_t *token) {
  // Envoy: an unknown cluster or a request without :method / :path / :authority is BadArgument.
  bool known = false;
  for (auto &c : (*g_scenario)["clusters"].a) known |= c.s == cluster;
  if (!known) return WasmResult::BadArgument;
  bool method = false, path = false, authority = false;
  for (auto &p : headers) {
    method |= p.first == ":method";
    path |= p.first == ":path";
    authority |= p.first == ":authority" || p.first == "host";
  }
  if (!method || !path || !authority) return WasmResult::BadArgument;
  *token = wasm()->nextHttpCallId();
  g_pending_calls.push_back({this, *token, std::string(cluster)});
  return WasmResult::Ok;
}

// Answers queued http_calls from the scenario's `http_responses` (by cluster); a missing answer is
// Envoy's onFailure: (0, 0, 0) with status 11 "reset".
void answerCalls() {
  while (!g_posted.empty()) {
    auto f = std::move(g_posted.front());
    g_posted.erase(g_posted.begin());
    f();
  }
  while (!g_pending_calls.empty()) {
    auto call = g_pending_calls.front();
    g_pending_calls.erase(g_pending_calls.begin());
    const auto &resp = (*g_scenario)["http_responses"][call.cluster];
    auto *ctx = call.ctx;
    if (resp.kind != json::Value::Object) {
      ctx->status_code_ = 11;
      ctx->status_message_ = "reset";
      ctx->onHttpCallResponse(call.token, 0, 0, 0);
      ctx->status_message_.clear();
      continue;
    }
    HeaderList h = headersFrom(resp["headers"]), t = headersFrom(resp["trailers"]);
    ctx->call_headers_ = &h;
    ctx->call_trailers_ = &t;
    ctx->buffer_.use(resp["body"].str());
    ctx->status_code_ = 0;
    ctx->status_message_.clear();
    ctx->onHttpCallResponse(call.token, h.size(), ctx->buffer_.size(), t.size());
    ctx->call_headers_ = nullptr;
    ctx->call_trailers_ = nullptr;
  }
}

std::string headersStatusName(FilterHeadersStatus s) {
  switch (s) {
  case FilterHeadersStatus::Continue: return "Continue";
  case FilterHeadersStatus::StopIteration: return "StopIteration";
  case FilterHeadersStatus::StopAllIterationAndBuffer: return "StopAllIterationAndBuffer";
  case FilterHeadersStatus::StopAllIterationAndWatermark: return "StopAllIterationAndWatermark";
  default: return "ContinueAndEndStream";
  }
}
std::string dataStatusName(FilterDataStatus s) {
  switch (s) {
  case FilterDataStatus::Continue: return "Continue";
  case FilterDataStatus::StopIterationAndBuffer: return "StopIterationAndBuffer";
  case FilterDataStatus::StopIterationAndWatermark: return "StopIterationAndWatermark";
  default: return "StopIterationNoBuffer";
  }
}
std::string trailersStatusName(FilterTrailersStatus s) {
  return s == FilterTrailersStatus::Continue ? "Continue" : "StopIteration";
}
std::string netStatusName(FilterStatus s) { return s == FilterStatus::Continue ? "Continue" : "StopIteration"; }

// Envoy's local reply goes back through the encoder chain, including this filter (encodeHeaders,
// encodeData) unless the response headers were already encoded.
void runLocalReplyThroughFilter(Stream &s, const json::Value &reply) {
  if (s.have_resp_headers) return;
  HeaderList h{{":status", std::to_string(reply["status"].num())}};
  for (auto &p : headersFrom(reply["headers"])) h.push_back(p);
  std::string body = reply["body"].str();
  if (!body.empty()) {
    h.emplace_back("content-length", std::to_string(body.size()));
    h.emplace_back("content-type", "text/plain");
  }
  s.resp_headers = h;
  s.have_resp_headers = true;
  s.resp_headers_live = true;
  s.end_of_stream = body.empty();
  auto r = s.ctx->onResponseHeaders(h.size(), body.empty());
  s.statuses.push_back("local_reply_headers:" + headersStatusName(r));
  if (r == FilterHeadersStatus::Continue) s.resp_headers_live = false;
  if (!body.empty()) {
    s.body_type = WasmBufferType::HttpResponseBody;
    s.body_buffer.use(body);
    s.end_of_stream = true;
    auto d = s.ctx->onResponseBody(body.size(), true);
    s.statuses.push_back("local_reply_body:" + dataStatusName(d));
  }
}

struct Plugin {
  std::shared_ptr<PluginBase> plugin;
  std::shared_ptr<WasmHandleBase> base;
  std::vector<std::shared_ptr<PluginHandleBase>> workers;
  std::string kind;
};

std::string readFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void runStream(Stream &s, Plugin &p, int worker, bool memory_only) {
  const auto &events = (*s.tmpl)["events"].a;
  auto handle = p.workers[worker];
  auto *wasm = handle->wasm().get();
  auto *root = wasm->getRootContext(p.plugin, false);
  s.ctx = std::make_unique<DriverContext>(wasm, root->id(), handle, &s);
  s.ctx->setAllowStop((*s.tmpl)["allow_on_headers_stop_iteration"].boolean());
  for (size_t i = 0; i < events.size(); i++) {
    const auto &e = events[i];
    s.event = static_cast<int>(i);
    std::string on = e["on"].str();
    bool eos = e["end_stream"].boolean();
    s.end_of_stream = eos;
    if (s.local_reply_sent && (on == "request_body" || on == "request_trailers" || on == "response_headers" ||
                               on == "response_body" || on == "response_trailers"))
      continue; // the stream is answered locally: the upstream parts never reach the filter
    // Envoy creates the stream's context in the VM with the first callback it makes.
    if (s.http && on != "log" && on != "destroy" && !s.ctx->inVmContextCreated()) s.ctx->onCreate();
    if (on == "request_headers") {
      s.req_headers = headersFrom(e["headers"]);
      s.have_req_headers = s.req_headers_live = true;
      auto r = s.ctx->onRequestHeaders(s.req_headers.size(), eos);
      s.statuses.push_back(headersStatusName(r));
      if (r == FilterHeadersStatus::Continue) s.req_headers_live = false;
    } else if (on == "request_body" || on == "response_body") {
      bool req = on == "request_body";
      std::string &buf = req ? s.req_body : s.resp_body;
      bool &buffering = req ? s.req_buffering : s.resp_buffering;
      std::string chunk = e["body"].str();
      if (!buffering) buf.clear();
      buf += chunk;
      s.body_type = req ? WasmBufferType::HttpRequestBody : WasmBufferType::HttpResponseBody;
      s.body_buffer.use(buf);
      s.body_buffer.changed = false;
      auto r = req ? s.ctx->onRequestBody(buf.size(), eos) : s.ctx->onResponseBody(buf.size(), eos);
      if (s.body_buffer.changed) buf = s.body_buffer.bytes;
      buffering = r == FilterDataStatus::StopIterationAndBuffer;
      s.statuses.push_back(dataStatusName(r));
    } else if (on == "request_trailers") {
      s.req_trailers = headersFrom(e["trailers"]);
      s.have_req_trailers = s.req_trailers_live = true;
      s.end_of_stream = true;
      auto r = s.ctx->onRequestTrailers(s.req_trailers.size());
      s.statuses.push_back(trailersStatusName(r));
    } else if (on == "response_headers") {
      s.resp_headers = headersFrom(e["headers"]);
      s.have_resp_headers = s.resp_headers_live = true;
      auto r = s.ctx->onResponseHeaders(s.resp_headers.size(), eos);
      s.statuses.push_back(headersStatusName(r));
      if (r == FilterHeadersStatus::Continue) s.resp_headers_live = false;
    } else if (on == "response_trailers") {
      s.resp_trailers = headersFrom(e["trailers"]);
      s.have_resp_trailers = s.resp_trailers_live = true;
      s.end_of_stream = true;
      auto r = s.ctx->onResponseTrailers(s.resp_trailers.size());
      s.statuses.push_back(trailersStatusName(r));
    } else if (on == "log") {
      // Envoy Context::log: the access-log phase; the context is created here if no callback ran.
      s.access_log_phase = true;
      if (!s.ctx->inVmContextCreated()) s.ctx->onCreate();
      s.ctx->onLog();
      s.access_log_phase = false;
    } else if (on == "destroy") {
      // Envoy Context::onDestroy: done then delete, only for a context that was created.
      if (s.ctx->inVmContextCreated()) {
        s.ctx->onDone();
        s.ctx->onDelete();
      }
    } else if (on == "new_connection") {
      s.ctx->onCreate();
      s.statuses.push_back(netStatusName(s.ctx->onNetworkNewConnection()));
    } else if (on == "downstream_data" || on == "upstream_data") {
      bool down = on == "downstream_data";
      std::string &buf = down ? s.down_data : s.up_data;
      buf += json::fromHex(e["data"].str());
      s.body_type = down ? WasmBufferType::NetworkDownstreamData : WasmBufferType::NetworkUpstreamData;
      s.body_buffer.use(buf);
      auto r = down ? s.ctx->onDownstreamData(buf.size(), eos) : s.ctx->onUpstreamData(buf.size(), eos);
      buf = s.body_buffer.bytes;
      s.statuses.push_back(netStatusName(r));
      // tcp_proxy forwards what the filter let through; a stopped filter keeps the bytes buffered.
      if (r == FilterStatus::Continue) {
        s.actions.push_back(std::string(down ? "forward_upstream " : "forward_downstream ") + toHex(buf));
        buf.clear();
      }
    } else if (on == "downstream_close" || on == "upstream_close") {
      // Envoy Context::onEvent / onUpstreamConnectionClose, then onCloseTCP: done, log, delete once.
      if (!s.ctx->inVmContextCreated()) continue;
      auto type = e["remote"].boolean(true) ? CloseType::Remote : CloseType::Local;
      if (on == "downstream_close") s.ctx->onDownstreamConnectionClose(type);
      else s.ctx->onUpstreamConnectionClose(type);
      if (!s.closed) {
        s.closed = true;
        s.ctx->onDone();
        s.ctx->onLog();
        s.ctx->onDelete();
      }
    }
    answerCalls();
    if (s.local_reply_sent && s.local_reply_json.size() && !memory_only) {
      // run it once through the filter's encoder side (a flag per stream: successive streams may
      // reuse one address, so a set of Stream pointers skipped every reply after the first)
      if (!s.local_reply_encoded) {
        s.local_reply_encoded = true;
        json::Value reply = json::Parser(s.local_reply_json).parse();
        s.event = static_cast<int>(i);
        runLocalReplyThroughFilter(s, reply);
      }
    } else if (s.local_reply_sent && s.local_reply_json.size() && memory_only && !s.have_resp_headers) {
      json::Value reply = json::Parser(s.local_reply_json).parse();
      runLocalReplyThroughFilter(s, reply);
    }
  }
  s.event = -1;
}

} // namespace

int main(int argc, char **argv) {
  std::string input;
  if (argc > 1) input = readFile(argv[1]);
  else { std::stringstream ss; ss << std::cin.rdbuf(); input = ss.str(); }
  json::Value sc;
  try {
    sc = json::Parser(input).parse();
  } catch (const std::exception &e) {
    std::cout << "{\"fatal\":" << quote(e.what()) << "}\n";
    return 2;
  }
  g_scenario = &sc;
  g_log_level = sc["log_level"].num(2);
  g_root_props = &sc["root_props"];
  std::string code = readFile(sc["module"].str());
  int workers = static_cast<int>(sc["workers"].num(1));
  std::string vm_id = sc["vm_id"].str();
  std::string vm_config = sc["vm_config"].str();

  std::ostringstream out;
  out << "{";
  std::vector<Plugin> plugins;
  bool all_loaded = true;
  std::string load_error;
  std::vector<std::string> plugin_json;
  for (const auto &pj : sc["plugins"].a) {
    Plugin p;
    p.kind = pj["kind"].str("http");
    p.plugin = std::make_shared<PluginBase>(pj["name"].str(), pj["root_id"].str(), vm_id, "wamr",
                                            pj["configuration"].str(), pj["fail_open"].boolean(), pj["name"].str());
    bool allow_stop = pj["allow_on_headers_stop_iteration"].boolean();
    auto vm_key = makeVmKey(vm_id, vm_config, code);
    g_last_error.clear();
    // Envoy createWasm: the base VM (load + initialize), then the canary clone (start + configure).
    p.base = createWasm(
        vm_key, code, p.plugin,
        [&](std::string_view key) -> std::shared_ptr<WasmHandleBase> {
          auto vm = createWamrVm();
          vm->integration() = std::make_unique<Integration>();
          auto w = std::make_shared<DriverWasm>(std::move(vm), vm_id, vm_config, key);
          w->allow_stop_ = allow_stop;
          return std::make_shared<WasmHandleBase>(w);
        },
        [&](std::shared_ptr<WasmHandleBase> base) -> std::shared_ptr<WasmHandleBase> {
          auto w = std::make_shared<DriverWasm>(base, [] {
            auto vm = createWamrVm();
            vm->integration() = std::make_unique<Integration>();
            return vm;
          });
          w->allow_stop_ = allow_stop;
          return std::make_shared<WasmHandleBase>(w);
        },
        false);
    std::string err;
    if (!p.base) err = g_last_error.empty() ? "Unable to create Wasm VM" : g_last_error;
    // Per worker: a clone (Envoy's thread-local VM), start + configure. Worker VMs of the same key
    // are shared by plugins on the same worker; this driver runs one worker per process thread, so
    // the thread-local caches of cpp-host hold worker 0 and further workers are separate clones.
    for (int wk = 0; p.base && err.empty() && wk < workers; wk++) {
      auto clone = [&](std::shared_ptr<WasmHandleBase> base) -> std::shared_ptr<WasmHandleBase> {
        auto w = std::make_shared<DriverWasm>(base, [] {
          auto vm = createWamrVm();
          vm->integration() = std::make_unique<Integration>();
          return vm;
        });
        w->allow_stop_ = allow_stop;
        return std::make_shared<WasmHandleBase>(w);
      };
      std::shared_ptr<PluginHandleBase> handle;
      if (wk == 0) {
        handle = getOrCreateThreadLocalPlugin(p.base, p.plugin, clone,
                                              [](std::shared_ptr<WasmHandleBase> w, std::shared_ptr<PluginBase> pl) {
                                                return std::make_shared<PluginHandleBase>(w, pl);
                                              });
      } else {
        auto wh = clone(p.base);
        if (wh && wh->wasm()->initialize()) {
          auto *rc = wh->wasm()->start(p.plugin);
          if (rc && wh->wasm()->configure(rc, p.plugin)) handle = std::make_shared<PluginHandleBase>(wh, p.plugin);
        }
      }
      if (!handle) { err = g_last_error.empty() ? "Failed to start thread-local Wasm" : g_last_error; break; }
      p.workers.push_back(handle);
    }
    answerCalls();
    if (!err.empty()) { all_loaded = false; if (load_error.empty()) load_error = err; }
    plugin_json.push_back("{\"loaded\":" + std::string(err.empty() ? "true" : "false") + ",\"error\":" + quote(err) + "}");
    plugins.push_back(std::move(p));
  }
  out << "\"plugins\":[";
  for (size_t i = 0; i < plugin_json.size(); i++) out << (i ? "," : "") << plugin_json[i];
  out << "],\"loaded\":" << (all_loaded ? "true" : "false") << ",\"error\":" << quote(load_error);

  // ticks
  int ticks = static_cast<int>(sc["ticks"].num(0));
  for (int t = 0; all_loaded && t < ticks; t++)
    for (auto &p : plugins)
      for (auto &h : p.workers) {
        auto *root = h->wasm()->getRootContext(p.plugin, false);
        if (root) root->onTick(0);
        answerCalls();
      }

  // streams
  std::vector<std::string> stream_json;
  std::map<int, std::set<std::string>> missing;
  uint64_t mem_before = 0, mem_after = 0;
  int si = 0;
  for (const auto &st : sc["streams"].a) {
    int pi = static_cast<int>(st["plugin"].num(0));
    if (!all_loaded || pi >= static_cast<int>(plugins.size())) break;
    auto &p = plugins[pi];
    int worker = static_cast<int>(st["worker"].num(0)) % workers;
    int64_t repeat = st["repeat"].num(1);
    auto *wasm = static_cast<DriverWasm *>(p.workers[worker]->wasm().get());
    auto t_start = std::chrono::steady_clock::now();
    int64_t timed = 0;
    for (int64_t r = 0; r < repeat; r++) {
      // memory is measured after a warm-up (caches filled, first allocations made)
      int64_t warmup = std::min<int64_t>(st["warmup"].num(1), repeat - 1);
      if (r == warmup || (repeat == 1 && si == 0)) {
        mem_before = wasm->memory();
        t_start = std::chrono::steady_clock::now();
        timed = repeat - r;
      }
      Stream s;
      s.index = si;
      s.http = st["kind"].str("http") == "http";
      s.tmpl = &st;
      s.missing = &missing[si];
      for (auto &kv : st["filter_state"].o) s.filter_state[kv.first] = json::fromHex(kv.second.s);
      for (auto &kv : st["upstream_filter_state"].o) s.upstream_filter_state[kv.first] = json::fromHex(kv.second.s);
      runStream(s, p, worker, repeat > 1);
      if (r + 1 == repeat) {
        std::ostringstream sj;
        sj << "{\"statuses\":[";
        for (size_t i = 0; i < s.statuses.size(); i++) sj << (i ? "," : "") << quote(s.statuses[i]);
        sj << "],\"actions\":[";
        for (size_t i = 0; i < s.actions.size(); i++) sj << (i ? "," : "") << quote(s.actions[i]);
        sj << "],\"request_headers\":" << headersJson(s.req_headers) << ",\"response_headers\":" << headersJson(s.resp_headers)
           << ",\"request_trailers\":" << headersJson(s.req_trailers) << ",\"response_trailers\":" << headersJson(s.resp_trailers)
           << ",\"request_body\":" << quote(toHex(s.req_body)) << ",\"response_body\":" << quote(toHex(s.resp_body))
           << ",\"local_reply\":" << (s.local_reply_json.empty() ? "null" : s.local_reply_json) << ",\"filter_state\":{";
        bool first = true;
        for (auto &kv : s.filter_state) { sj << (first ? "" : ",") << quote(kv.first) << ":" << quote(toHex(kv.second)); first = false; }
        sj << "},\"missing\":[";
        first = true;
        for (auto &m : missing[si]) { sj << (first ? "" : ",") << quote(m); first = false; }
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t_start).count();
        sj << "],\"timed_streams\":" << timed << ",\"ns_per_stream\":" << (timed ? ns / timed : 0) << "}";
        stream_json.push_back(sj.str());
      }
    }
    mem_after = wasm->memory();
    si++;
  }
  out << ",\"streams\":[";
  for (size_t i = 0; i < stream_json.size(); i++) out << (i ? "," : "") << stream_json[i];
  out << "],\"memory\":{\"before\":" << mem_before << ",\"after\":" << mem_after << "}";
  out << ",\"root_missing\":[";
  bool first = true;
  for (auto &m : g_root_missing) { out << (first ? "" : ",") << quote(m); first = false; }
  out << "],\"timers\":{";
  first = true;
  for (auto &p : plugins)
    for (auto &h : p.workers)
      for (auto &kv : static_cast<DriverWasm *>(h->wasm().get())->timer_periods_) {
        out << (first ? "" : ",") << quote(std::to_string(kv.first)) << ":" << kv.second;
        first = false;
      }
  out << "},\"failed\":[";
  first = true;
  for (auto &p : plugins)
    for (auto &h : p.workers) {
      out << (first ? "" : ",") << (h->wasm()->isFailed() ? "true" : "false");
      first = false;
    }
  out << "]";

  // shutdown: Envoy drops the plugin handles (root on_done / on_delete), then the VMs
  if (!sc["no_shutdown"].boolean()) {
    for (auto &p : plugins) p.workers.clear();
    plugins.clear();
  }
  out << ",\"metrics\":{";
  first = true;
  for (auto &kv : g_metrics) {
    out << (first ? "" : ",") << quote(kv.first) << ":{\"type\":" << static_cast<int>(kv.second.type)
        << ",\"value\":" << kv.second.value << ",\"samples\":" << kv.second.samples << "}";
    first = false;
  }
  out << "},\"logs\":[";
  for (size_t i = 0; i < g_logs.size(); i++) out << (i ? "," : "") << "[" << g_logs[i].first << "," << quote(g_logs[i].second) << "]";
  out << "],\"errors\":[";
  for (size_t i = 0; i < g_errors.size(); i++) out << (i ? "," : "") << quote(g_errors[i]);
  out << "]}\n";
  std::cout << out.str();
  std::cout.flush();
  _exit(0); // skip static destructors (thread-local VM caches)
}
