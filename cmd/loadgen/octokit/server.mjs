// The @octokit/webhooks reference for cmd/loadgen: verify the signature and
// dispatch the event to a handler that stores nothing. It listens on the
// loopback address given as its only argument (port 0 picks one) and
// prints "listening HOST:PORT" once ready.
import http from "node:http";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";

const [host, port] = (process.argv[2] ?? "127.0.0.1:0").split(":");
const webhooks = new Webhooks({ secret: process.env.LOADGEN_SECRET });
webhooks.on("pull_request.closed", () => {});
const server = http.createServer(createNodeMiddleware(webhooks, { path: "/" }));
server.listen(Number(port), host, () => {
  const a = server.address();
  console.log(`listening ${a.address}:${a.port}`);
});
