import { describe, expect, it } from 'vitest';
import { clickReply, grantClickReply } from '../../../src/slack/listeners/replies.js';
import { pendingRequest } from '../../support/requests.js';

describe('click replies', () => {
  it('name the approvers of the request’s own account', () => {
    const request = pendingRequest();
    expect(
      clickReply({ kind: 'forbidden', reason: 'not-approver', request, approverIds: ['UBOB', 'SLEADS'] })?.text,
    ).toBe('Only approvers can decide access requests; nothing changed. The approvers are <@UBOB>, <!subteam^SLEADS>.');
    expect(grantClickReply({ kind: 'forbidden', reason: 'not-approver', approverIds: ['UBOB'] })?.text).toContain(
      'The approvers are <@UBOB>.',
    );
  });

  it('say why nobody can decide a request whose account left the policy, and what an admin can do', () => {
    const reply = clickReply({ kind: 'unconfigured', request: pendingRequest({ wabaId: '104000000000009' }) })?.text;
    expect(reply).toContain('WhatsApp Business Account `104000000000009`, which is no longer in the bot’s policy');
    expect(reply).toContain('nothing changed');
    expect(reply).toContain('an admin can add the account back to the policy file and reload');
  });
});
