// The parts of the npm `radius` package (1.1.x, no types of its own) that the RSSO driver uses.
declare module 'radius' {
  type Attribute = [string | number, string | number | Buffer];
  interface EncodeArgs {
    code: string;
    secret: string;
    identifier?: number;
    attributes: Attribute[];
    add_message_authenticator?: boolean;
  }
  interface Decoded {
    code: string;
    identifier: number;
    attributes: Record<string, unknown>;
  }
  export function encode(args: EncodeArgs): Buffer;
  export function decode_without_secret(args: { packet: Buffer }): Decoded;
  export function verify_response(args: { request: Buffer; response: Buffer; secret: string }): boolean;
}
