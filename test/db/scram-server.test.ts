import { describe, expect, it } from 'vitest';
import { ScramExchange, ScramProtocolError, scramSecret } from '../../src/db/scram-server.ts';

// RFC 7677 section 3: the SCRAM-SHA-256 example exchange (user "user", password "pencil").
const RFC = {
  password: 'pencil',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('SCRAM-SHA-256 server exchange', () => {
  it('reproduces the RFC 7677 example byte for byte', () => {
    const exchange = new ScramExchange(scramSecret(RFC.password, { salt: RFC.salt }), RFC.serverNonce);
    expect(exchange.start(RFC.clientFirst)).toBe(RFC.serverFirst);
    expect(exchange.finish(RFC.clientFinal)).toBe(RFC.serverFinal);
  });

  it('refuses the RFC client proof for another password', () => {
    const exchange = new ScramExchange(scramSecret('pencil2', { salt: RFC.salt }), RFC.serverNonce);
    exchange.start(RFC.clientFirst);
    expect(exchange.finish(RFC.clientFinal)).toBeUndefined();
  });

  it('refuses a replayed proof with another server nonce, and channel binding it cannot do', () => {
    const exchange = new ScramExchange(scramSecret(RFC.password, { salt: RFC.salt }));
    exchange.start(RFC.clientFirst);
    expect(() => exchange.finish(RFC.clientFinal)).toThrow(ScramProtocolError);
    expect(() => new ScramExchange(scramSecret('x')).start('p=tls-server-end-point,,n=,r=abc')).toThrow(/channel binding/);
  });
});
