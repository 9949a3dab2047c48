// rm and prune on many hosts: each host's own pipeline (snapshot, registries, plan; then execute,
// outcome) run by onHosts, around one preview grouped by host with each host's bytes and the
// total, one question, and the outcome per host. The protections are each host's own plan's: the
// same request is planned on every host. A host that cannot be read is said and left; one that
// fails mid-way reports what it did like an interrupted one-host run.
import type { HostResult } from '../core/hosts.js';
import type { Outcome } from '../core/outcome.js';
import { hostsDocument, removalTotal, type RemovalFieldsV2, type RemovalTotalV1 } from '../render/documents.js';
import { hostError, hostHeading, hostsCount, renderHostBlocks } from '../render/hosts.js';
import { bytesText, count, summaryLine } from '../render/removal.js';
import { sanitizeLines } from '../render/text.js';
import type { CommandContext } from './command.js';
import { confirmRemoval } from './confirm.js';
import { onHosts, outcomeOnHosts, type Host } from './hosts.js';

/** One host's removal, as the one-host command does it, in the steps the runner needs. */
export interface OneHostRemoval<P, R> {
  /** What the question names ("images", "anything"). */
  what: string;
  /** The verb of its summary line: rm deletes images, prune removes things. */
  verb: 'delete' | 'remove';
  /** snapshot -> (registries) -> plan, on the host `ctx` is for. */
  plan(ctx: CommandContext): Promise<P>;
  nothing(plan: P): boolean;
  /** The plan as the one-host command shows it (with nothing to remove: what stays and why). */
  showPlan(plan: P, dryRun: boolean): string;
  /** execute -> outcome (and what it freed), on the host `ctx` is for. */
  carryOut(ctx: CommandContext, plan: P): Promise<R>;
  /** The outcome as the one-host command reports it. */
  showOutcome(plan: P, done: R): string;
  /** The one-host --json document, planned (no `done`) or after. */
  document(plan: P, done?: R): RemovalFieldsV2;
  outcome(done: R): Outcome;
  /** One line per failure, said on stderr by quiet runs (prune -q). */
  failures?(done: R): string[];
}

/** The flags the runner heeds. */
export interface RemovalFlags {
  json: boolean;
  dryRun: boolean;
  force: boolean;
  /** Only the total line (prune -q). */
  quiet?: boolean;
}

/** Runs `one` on every host: plans, one preview and question, then the removals, four hosts at a time. */
export async function removeOnHosts<P, R>(
  ctx: CommandContext,
  hosts: readonly Host[],
  one: OneHostRemoval<P, R>,
  flags: RemovalFlags,
  /** Checks the plans before anything is shown (rm: an IMAGE no host has). */
  check?: (planned: readonly HostResult<P>[]) => void,
): Promise<Outcome> {
  const show = (text: string): void => void ctx.stdout.write(text);
  const planned = await onHosts(ctx, hosts, (hostCtx) => one.plan(hostCtx));
  check?.(planned);
  const planDocs = planned.map((r) => (r.ok ? { ...r, value: one.document(r.value) } : r));
  const preview = (dryRun: boolean): string =>
    renderHostBlocks(planned, (p) => one.showPlan(p, dryRun)) + '\n' + totalLine(planned, removalTotal(planDocs, true), one.verb, dryRun) + '\n';
  const nothing = planned.every((r) => !r.ok || one.nothing(r.value));
  if (nothing || flags.dryRun) {
    if (flags.json) show(JSON.stringify(hostsDocument(planned, (p) => one.document(p), removalTotal(planDocs, true))) + '\n');
    else if (flags.quiet) show(totalLine(planned, removalTotal(planDocs, true), one.verb, true) + '\n');
    else show(preview(true));
    printUnread(ctx, planned, flags);
    return outcomeOnHosts(planned);
  }
  // As on one host: the question is only asked about a plan the person at the terminal has seen.
  if (!flags.json && !flags.quiet) show(preview(false));
  if (!flags.force && ctx.stdinIsTTY && (flags.json || flags.quiet || !ctx.stdout.isTTY)) ctx.stderr.write(preview(false));
  const answer = await confirmRemoval(flags.force, ctx.stdinIsTTY, one.what, ctx.target.signal, ctx.stderr);
  if (answer !== 'yes') return answer === 'no' ? outcomeOnHosts(planned) : 'refused';

  const plans = new Map(planned.flatMap((r) => (r.ok && !one.nothing(r.value) ? [[r.host.context, r.value] as const] : [])));
  const carried = await onHosts(ctx, hosts.filter((h) => plans.has(h.context)), (hostCtx, host) => one.carryOut(hostCtx, plans.get(host.context)!), 'Removing');
  const doneOf = new Map(carried.map((r) => [r.host.context, r]));
  // Each host: its plan and what became of it; or why it could not be read, or why it stopped.
  const final: HostResult<{ plan: P; done?: R }>[] = planned.map((r) => {
    if (!r.ok) return r;
    const done = doneOf.get(r.host.context);
    if (!done) return { host: r.host, ok: true, value: { plan: r.value } };
    return done.ok ? { host: r.host, ok: true, value: { plan: r.value, done: done.value } } : done;
  });
  const docs = final.map((r) => (r.ok ? { ...r, value: r.value.done === undefined ? one.document(r.value.plan) : one.document(r.value.plan, r.value.done) } : r));
  const total = removalTotal(docs, false);
  if (flags.json) {
    show(JSON.stringify(hostsDocument(final, (v) => (v.done === undefined ? one.document(v.plan) : one.document(v.plan, v.done)), total)) + '\n');
  } else if (flags.quiet) {
    show(doneLine(final, total) + '\n');
    // Quiet runs (cron) still say what failed, on stderr, by context.
    for (const r of final) {
      if (r.ok && r.value.done !== undefined) for (const line of one.failures?.(r.value.done) ?? []) ctx.stderr.write(sanitizeLines(`context "${r.host.context}": ${line}`) + '\n');
    }
  } else {
    show('\n' + renderHostBlocks(final, (v) => (v.done === undefined ? 'Nothing removed.\n' : one.showOutcome(v.plan, v.done))) + '\n' + doneLine(final, total) + '\n');
  }
  printUnread(ctx, final, flags);
  return outcomeOnHosts(
    final,
    carried.flatMap((r) => (r.ok ? [one.outcome(r.value)] : [])),
  );
}

// "In all, 2 of 3 contexts: this deletes 4 images, freeing ..." (a dry run: "would").
function totalLine(results: readonly HostResult<unknown>[], total: RemovalTotalV1, verb: 'delete' | 'remove', dryRun: boolean): string {
  const parts = [
    ...(total.containers ? [count(total.containers, 'container')] : []),
    ...(total.images ? [count(total.images, 'image')] : []),
    ...(total.untagged ? [`the names of ${count(total.untagged, 'image')}`] : []),
    ...(total.networks ? [count(total.networks, 'network')] : []),
    ...(total.volumes ? [count(total.volumes, 'volume')] : []),
    ...(total.buildCache ? [count(total.buildCache, 'build-cache record')] : []),
  ];
  const line = summaryLine({ verb, parts }, total.estimatedBytes, total.exact, dryRun);
  return `In all, ${hostsCount(results)}: ${line.replace(/^Dry run: t/, 't').replace(/^T/, 't')}`;
}

// "In all, 2 contexts: freed ... (the estimate was ...)"; the hosts where something failed.
function doneLine(results: readonly HostResult<unknown>[], total: RemovalTotalV1): string {
  const failed = total.failedContexts.length ? `; failed or not read: ${total.failedContexts.join(', ')}` : '';
  return `In all, ${hostsCount(results)}: freed ${bytesText(total.reclaimedBytes)} of ${bytesText(total.estimatedBytes)} estimated${failed}.`;
}

/** With --json or -q, the hosts that could not be read are said on stderr too (the text report has them in its blocks). */
function printUnread(ctx: CommandContext, results: readonly HostResult<unknown>[], flags: RemovalFlags): void {
  if (!flags.json && !flags.quiet) return;
  for (const r of results) if (!r.ok) ctx.stderr.write(hostHeading(r.host) + hostError(r.error));
}
