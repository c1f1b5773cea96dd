import { connect as tcpConnect } from 'node:net';

/**
 * A login from another loopback address. The NATS client cannot bind a local address, and on loopback every
 * client is 127.0.0.1, so this speaks the protocol's handshake itself (INFO, CONNECT, PING/PONG) from 127.0.0.2.
 */
export async function loginFrom(localAddress: string, port: number, user: string, pass: string): Promise<void> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress });
  let received = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (received.startsWith('INFO ') && received.includes('\r\n') && !received.includes('CONNECT_SENT')) {
        received += 'CONNECT_SENT';
        const options = {
          verbose: false,
          pedantic: false,
          user,
          pass,
          name: `login-from-${localAddress}`,
          lang: 'raw',
          version: '0',
          protocol: 1,
        };
        socket.write(`CONNECT ${JSON.stringify(options)}\r\nPING\r\n`);
      }
      if (received.includes('PONG')) resolve();
      if (received.includes('-ERR')) reject(new Error(`login refused: ${received}`));
    });
  });
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.end();
  });
}
