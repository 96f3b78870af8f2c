import { startMotoServer } from './motoServer';

describe('startMotoServer', () => {
  it('fails with a clear message when moto_server is not installed', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startMotoServer()).rejects.toThrow(
        "moto_server did not start: could not run it (spawn moto_server ENOENT); install it with: pip install 'moto[server]'. Its stderr:\n(empty)",
      );
    } finally {
      process.env.PATH = path;
    }
  });

  it('answers, resets, and is gone after stop()', async () => {
    const moto = await startMotoServer();
    await moto.reset();
    await moto.stop();
    await moto.stop(); // idempotent
    const afterStop = await fetch(`${moto.endpoint}/moto-api/`).then(
      () => 'answering',
      () => 'gone',
    );
    expect(afterStop).toBe('gone');
  });
});
