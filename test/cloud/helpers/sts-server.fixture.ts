/**
 * A local STS endpoint for IRSA: it answers `AssumeRoleWithWebIdentity` (the AWS query protocol,
 * a form POST) for one role, after checking the web identity token as AWS does for an EKS OIDC
 * provider: an RS256 JWT signed by the cluster's issuer key, audience `sts.amazonaws.com`, not
 * expired. It issues temporary credentials (ASIA… key, secret, session token) and hands them to
 * `onIssue`, so the S3 front accepts them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { verifyJwt } from './jwt.fixture.js';
import type { KnownKey } from './sigv4-verify.fixture.js';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StsServer {
  /** Base URL, for `AWS_ENDPOINT_URL_STS`. */
  endpoint: string;
  /** Each call: the action, the role asked for, and the outcome (`ok` or the error code). */
  readonly calls: { action: string; roleArn: string; outcome: string }[];
  /** The temporary key ids issued so far. */
  readonly issued: string[];
  close(): Promise<void>;
}

export interface StsOptions {
  roleArn: string;
  /** Public key of the cluster's OIDC issuer (signs service account tokens). */
  issuerKey: KeyObject;
  /** Called with each issued temporary key. */
  onIssue(accessKeyId: string, key: Required<KnownKey>): void;
}

function errorResponse(res: http.ServerResponse, status: number, code: string, message: string): void {
  const xml = `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

function credentialsResponse(res: http.ServerResponse, roleArn: string, session: string, subject: string, creds: { id: string } & Required<KnownKey>): void {
  const role = roleArn.split('/').pop() ?? 'role';
  const account = roleArn.split(':')[4] ?? '000000000000';
  const expiration = new Date(Date.now() + 3600_000).toISOString();
  const xml =
    `<AssumeRoleWithWebIdentityResponse xmlns="${NS}"><AssumeRoleWithWebIdentityResult>` +
    `<Credentials><AccessKeyId>${creds.id}</AccessKeyId><SecretAccessKey>${creds.secretAccessKey}</SecretAccessKey>` +
    `<SessionToken>${creds.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
    `<AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/${role}/${session}</Arn><AssumedRoleId>AROATESTROLE0000001:${session}</AssumedRoleId></AssumedRoleUser>` +
    `<SubjectFromWebIdentityToken>${subject}</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>` +
    `</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`;
  res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

export async function startStsServer(options: StsOptions): Promise<StsServer> {
  const calls: StsServer['calls'] = [];
  const issued: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const action = form.get('Action') ?? '';
      const roleArn = form.get('RoleArn') ?? '';
      const done = (outcome: string): void => void calls.push({ action, roleArn, outcome });
      if (req.method !== 'POST' || action !== 'AssumeRoleWithWebIdentity') {
        done('InvalidAction');
        return errorResponse(res, 400, 'InvalidAction', `Could not find operation ${action}`);
      }
      const checked = verifyJwt(form.get('WebIdentityToken') ?? '', options.issuerKey, { maxLifetimeS: 86_400 });
      if ('error' in checked || checked.claims['aud'] !== 'sts.amazonaws.com') {
        done('InvalidIdentityToken');
        return errorResponse(res, 400, 'InvalidIdentityToken', 'Couldn\u2019t verify the web identity token.');
      }
      if (roleArn !== options.roleArn) {
        done('AccessDenied');
        return errorResponse(res, 403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      }
      const id = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
      const key = { secretAccessKey: randomBytes(30).toString('base64'), sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(96).toString('base64')}` };
      options.onIssue(id, key);
      issued.push(id);
      done('ok');
      credentialsResponse(res, roleArn, form.get('RoleSessionName') ?? 'session', String(checked.claims['sub']), { id, ...key });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    issued,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
