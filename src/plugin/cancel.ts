// Cancellation: Ctrl-C and SIGTERM, and EOF on DOCKER_CLI_PLUGIN_SOCKET, which is how docker
// (25.0+) tells a plugin to stop when there is no terminal to deliver the signal.

/** One AbortSignal for the whole run, aborted by a signal or by the docker CLI going away. */
export function watchCancellation(env: NodeJS.ProcessEnv = process.env): AbortSignal {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    signals += 1;
    // After 3 signals docker's own plugins give up waiting for a clean stop.
    if (signals >= 3) process.exit(130);
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const address = env.DOCKER_CLI_PLUGIN_SOCKET;
  if (address) {
    // "@name" is an abstract unix socket on Linux (a leading NUL byte); a path elsewhere.
    const path = address.startsWith('@') ? '\0' + address.slice(1) : address;
    // node:net loads only here (about 8 ms of CPU in the executable): run without docker, it is not needed.
    void import('node:net').then(({ default: net }) => listenForClose(net.connect({ path }), controller));
  }
  return controller.signal;
}

/** Aborts the run when docker closes its end of the plugin socket. */
function listenForClose(socket: import('node:net').Socket, controller: AbortController): void {
  socket.on('error', () => {
    // Connection errors are ignored, as docker's own plugin helper does.
  });
  const onClose = (): void => controller.abort('plugin socket closed');
  socket.on('connect', () => {
    socket.on('end', onClose);
    socket.on('close', onClose);
  });
  socket.resume();
  socket.unref();
}
