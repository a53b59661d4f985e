import { GRAPH_FORMATS, renderGraph, type GraphFormat } from '../../graph.ts';
import { UsageError } from '../errors.ts';
import type { CommandIO } from '../io.ts';

/** `graph [--format mermaid|dot|json]`: the install statechart, derived from the machine itself. */
export async function graph(io: CommandIO, opts: { format?: string | true }): Promise<void> {
  const format = typeof opts.format === 'string' ? opts.format : 'mermaid';
  if (!(GRAPH_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${GRAPH_FORMATS.join(', ')}, not "${format}"`, 'graph');
  }
  io.stdout.write(renderGraph(format as GraphFormat));
}
