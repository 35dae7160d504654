import { z } from 'zod';

// Strict on the fields we rely on, tolerant of everything else: real responses carry fields the reference omits
// (users come with `tasks`) and omit optional ones. zod objects strip unknown keys instead of rejecting them.

const pagingSchema = z
  .object({
    cursors: z.object({ before: z.string().optional(), after: z.string().optional() }).partial().optional(),
    next: z.string().optional(),
    previous: z.string().optional(),
  })
  .optional();

export const assignedUserSchema = z.object({
  id: z.string().min(1),
  name: z.string().default(''),
  user_type: z.string().optional(),
  business: z.object({ id: z.string().optional(), name: z.string().optional() }).optional(),
  tasks: z.array(z.string()).default([]),
});
export type AssignedUser = z.infer<typeof assignedUserSchema>;

export const assignedUsersPageSchema = z.object({
  data: z.array(assignedUserSchema),
  paging: pagingSchema,
  summary: z.object({ total_count: z.number().int().nonnegative().optional() }).optional(),
});

export const assignedAccountSchema = z.object({
  id: z.string().min(1),
  name: z.string().default(''),
  status: z.string().optional(),
  business_id: z.string().optional(),
  /** Absent when Graph leaves the field out (the bot then reads the WABA's roster instead). */
  permissions: z.array(z.string()).optional(),
  tasks: z.array(z.string()).optional(),
  assignment_date: z.string().optional(),
});
export type AssignedAccount = z.infer<typeof assignedAccountSchema>;

export const assignedAccountsPageSchema = z.object({
  data: z.array(assignedAccountSchema),
  paging: pagingSchema,
});

export const successSchema = z.object({ success: z.boolean() });

export const graphErrorBodySchema = z.object({
  error: z.object({
    message: z.string().default('Unknown Graph API error'),
    type: z.string().optional(),
    code: z.number().int().optional(),
    error_subcode: z.number().int().optional(),
    fbtrace_id: z.string().optional(),
    is_transient: z.boolean().optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
  }),
});
export type GraphErrorBody = z.infer<typeof graphErrorBodySchema>['error'];
