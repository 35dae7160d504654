import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMAND } from '../src/slack/ids.js';

const root = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const schema = JSON.parse(readFileSync(root('../../shared/slack-manifest-schema/manifest.schema.1.0.0.json'), 'utf8'));
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

type Manifest = {
  features: { slash_commands: Array<{ command: string; url?: string; should_escape?: boolean }> };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url?: string };
    event_subscriptions: { request_url?: string; bot_events: string[] };
    socket_mode_enabled: boolean;
  };
};

const manifest = parse(readFileSync(root('../manifest.yml'), 'utf8')) as Manifest;

describe('manifest.yml', () => {
  it("validates against Slack's manifest schema", () => {
    expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
  });

  it('declares the command the bot listens to, escaped, pointing at the events endpoint', () => {
    const [command] = manifest.features.slash_commands;
    expect(command).toMatchObject({ command: COMMAND, should_escape: true });
    expect(command?.url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity).toMatchObject({
      is_enabled: true,
      request_url: expect.stringMatching(/\/slack\/events$/),
    });
  });

  it('subscribes to the Home tab event the bot draws, at the events endpoint', () => {
    expect(manifest.settings.event_subscriptions).toEqual({
      request_url: expect.stringMatching(/\/slack\/events$/),
      bot_events: ['app_home_opened'],
    });
  });

  it('asks for exactly the bot scopes the bot uses', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([
      'chat:write',
      'chat:write.public',
      'commands',
      'files:write',
      'im:write',
      'usergroups:read',
      'users:read',
      'users:read.email',
    ]);
  });

  it('stays valid in its documented Socket Mode variant', () => {
    const socket = structuredClone(manifest);
    socket.settings.socket_mode_enabled = true;
    delete socket.settings.interactivity.request_url;
    delete socket.settings.event_subscriptions.request_url;
    for (const command of socket.features.slash_commands) delete command.url;
    expect(validate(socket), JSON.stringify(validate.errors)).toBe(true);
  });

  it('fails validation when the manifest is broken', () => {
    expect(validate({ ...manifest, features: { slash_commands: [{ command: 'waba' }] } })).toBe(false);
  });
});
