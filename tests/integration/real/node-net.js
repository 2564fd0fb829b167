// An echo server on node's net module: every byte comes back; after the
// client's half close, the server ends its side once all is written.
//   node node-net.js PORT
'use strict';
const net = require('net');
const port = Number(process.argv[2]);
net.createServer({ allowHalfOpen: true }, (sock) => {
  sock.on('error', () => {});
  sock.pipe(sock);
}).listen(port, '127.0.0.1', () => console.log('listening ' + port));
