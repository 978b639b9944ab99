/** The wire types of ProxyAuthService (proto/fsso/v1/ntlm.proto), for the collector and `fsso-fw proxy`. */
export type { ProxyAuthServiceClient, ProxyAuthServiceHandlers } from '../generated/fsso/v1/ProxyAuthService';
export type { ProxyAuthRequest, ProxyAuthRequest__Output } from '../generated/fsso/v1/ProxyAuthRequest';
export type { ProxyAuthReply, ProxyAuthReply__Output } from '../generated/fsso/v1/ProxyAuthReply';
export type { ProxyAuthVerdict, ProxyAuthVerdict__Output } from '../generated/fsso/v1/ProxyAuthVerdict';
