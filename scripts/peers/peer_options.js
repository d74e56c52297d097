// Command-line options shared by the node peers (the same flags as the Python peers):
//   --no-deflate                     do not offer / accept permessage-deflate
//   --server-no-context-takeover     --client-no-context-takeover
//   --server-max-window-bits N       --client-max-window-bits N
//   --max-payload N                  (servers) the largest message accepted, in bytes
'use strict';

function valueAfter(argv, flag) {
  const index = argv.indexOf(flag);
  if (index < 0) return undefined;
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value)) throw new Error(`${flag} needs a number`);
  return value;
}

// The `perMessageDeflate` option of `ws` for these flags: false, or an object. The threshold is 0 so that every
// data message is compressed once the extension is negotiated (ws's default leaves messages under 1 KiB plain).
function perMessageDeflate(argv) {
  if (argv.includes('--no-deflate')) return false;
  const options = { threshold: 0 };
  if (argv.includes('--server-no-context-takeover')) options.serverNoContextTakeover = true;
  if (argv.includes('--client-no-context-takeover')) options.clientNoContextTakeover = true;
  const serverBits = valueAfter(argv, '--server-max-window-bits');
  const clientBits = valueAfter(argv, '--client-max-window-bits');
  if (serverBits !== undefined) options.serverMaxWindowBits = serverBits;
  if (clientBits !== undefined) options.clientMaxWindowBits = clientBits;
  return options;
}

module.exports = { perMessageDeflate, valueAfter };
