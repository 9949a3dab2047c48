// What docker said when it could not reach a daemon, turned into an error that names the fix
// (src/docker/cli.ts classifyDockerFailure). The stderr texts are docker 28.2's own, captured from
// `docker -H ssh://... system dial-stdio` against a private sshd on this machine.
import { describe, expect, it } from 'vitest';
import { classifyDockerFailure } from '../../src/docker/cli.js';
import { dockerTarget } from '../../src/docker/target.js';
import { TidyError } from '../../src/errors.js';

const target = dockerTarget({ argv: ['--context', 'build1'], context: 'build1', debug: false }, new AbortController().signal, { HOME: '/home/me' });
const sshFailed = (login: string, port: string, said: string): string =>
  `error while Copy (stream to stdout): command [ssh -o ConnectTimeout=30 -T -l ${login} -p ${port} -- 127.0.0.1 docker system dial-stdio] has exited with exit status 255, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=${said}\n`;

describe('classifyDockerFailure: ssh:// hosts', () => {
  it('a key the host refuses is an ssh problem, with the ssh command to check, not the docker group', () => {
    const error = classifyDockerFailure(target, 'docker system dial-stdio', sshFailed('nobody', '35673', 'nobody@127.0.0.1: Permission denied (publickey).'));
    expect(error).toBeInstanceOf(TidyError);
    expect(error.message).toBe('ssh could not reach the Docker daemon (context "build1"): nobody@127.0.0.1: Permission denied (publickey).');
    expect((error as TidyError).hint).toContain('"ssh -p 35673 nobody@127.0.0.1 docker version"');
    expect((error as TidyError).hint).not.toContain('usermod');
  });

  it('a host that refuses the connection says so in ssh\'s words', () => {
    const error = classifyDockerFailure(target, 'docker system dial-stdio', sshFailed('root', '1', 'ssh: connect to host 127.0.0.1 port 1: Connection refused'));
    expect(error.message).toBe('ssh could not reach the Docker daemon (context "build1"): ssh: connect to host 127.0.0.1 port 1: Connection refused');
  });

  it('ssh got through and the remote docker could not reach its daemon: a connection problem at the remote address', () => {
    const stderr =
      'error while Copy (stream to stdout): command [ssh -o ConnectTimeout=30 -T -l root -p 34863 -- 127.0.0.1 docker system dial-stdio] has exited with exit status 1, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=failed to open the raw stream connection: dial unix /tmp/nonexist.sock: connect: no such file or directory\n';
    const error = classifyDockerFailure(target, 'docker system dial-stdio', stderr);
    expect(error.message).toMatch(/^cannot connect to the Docker daemon at unix:\/\/\/tmp\/nonexist.sock \(context "build1"\): /);
  });
});
