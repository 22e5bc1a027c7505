// Drives the official npm WooCommerce client (@woocommerce/woocommerce-rest-api) for the
// Python tests: reads {url, consumerKey, consumerSecret, calls: [{method, path, data,
// params}]} as JSON on stdin and prints [{status, headers, data}] as JSON on stdout.
// HTTP errors are answers too (the client rejects them; their response is recorded).
import * as pkg from "@woocommerce/woocommerce-rest-api";

// the package's "main" is CommonJS: its class is the default export's own default
const WooCommerceRestApi = pkg.default.default ?? pkg.default;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const script = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const api = new WooCommerceRestApi({
  url: script.url,
  consumerKey: script.consumerKey,
  consumerSecret: script.consumerSecret,
  version: script.version || "wc/v3",
  queryStringAuth: Boolean(script.queryStringAuth),
});

const out = [];
for (const call of script.calls) {
  let response;
  try {
    if (call.method === "get" || call.method === "delete" || call.method === "options") {
      response = await api[call.method](call.path, call.params || {});
    } else {
      response = await api[call.method](call.path, call.data || {}, call.params || {});
    }
  } catch (err) {
    if (!err.response) {
      out.push({ status: 0, headers: {}, data: String(err) });
      continue;
    }
    response = err.response;
  }
  out.push({ status: response.status, headers: response.headers, data: response.data });
}
process.stdout.write(JSON.stringify(out));
