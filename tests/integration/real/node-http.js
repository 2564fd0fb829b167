// An HTTP server on node's http module: GET /NAME answers the file NAME of
// DIR, read once at start.  node node-http.js DIR PORT
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const [dir, port] = process.argv.slice(2);
const files = {};
for (const name of fs.readdirSync(dir)) files['/' + name] = fs.readFileSync(path.join(dir, name));
http.createServer((req, res) => {
  const body = files[req.url];
  if (!body) {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
  res.end(body);
}).listen(Number(port), '127.0.0.1', () => console.log('listening ' + port));
