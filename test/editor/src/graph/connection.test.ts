import { describe, expect, it } from 'vitest';

import { canConnect, connectionProblem, socketColor, wouldCreateCycle } from '../../../../editor/src/graph/connection.ts';

describe('canConnect', () => {
  it('joins sockets of the same type only', () => {
    expect(canConnect({ nodeId: '4', type: 'LATENT' }, { nodeId: '3', type: 'LATENT' })).toBe(true);
    expect(canConnect({ nodeId: '4', type: 'LATENT' }, { nodeId: '3', type: 'MODEL' })).toBe(false);
    expect(canConnect({ nodeId: '4', type: 'CONDITIONING' }, { nodeId: '3', type: 'CLIP' })).toBe(false);
    expect(canConnect({ nodeId: '4', type: 'IMAGE' }, { nodeId: '3', type: 'STRING' })).toBe(false);
  });

  it('refuses a node into itself, accepts the * wildcard', () => {
    expect(canConnect({ nodeId: '3', type: 'LATENT' }, { nodeId: '3', type: 'LATENT' })).toBe(false);
    expect(canConnect({ nodeId: '1', type: '*' }, { nodeId: '2', type: 'VAE' })).toBe(true);
  });

  it('says why', () => {
    expect(connectionProblem({ nodeId: '1', type: 'LATENT' }, { nodeId: '2', type: 'MODEL' })).toBe('Cannot connect LATENT to MODEL: the types differ.');
    expect(connectionProblem({ nodeId: '1', type: 'VAE' }, { nodeId: '2', type: 'VAE' })).toBeNull();
  });

  it('finds loops', () => {
    const edges = [
      { source: '1', target: '2' },
      { source: '2', target: '3' },
    ];
    expect(wouldCreateCycle(edges, '3', '1')).toBe(true);
    expect(wouldCreateCycle(edges, '1', '3')).toBe(false);
    expect(wouldCreateCycle(edges, '2', '2')).toBe(true);
  });

  it('colours known types like ComfyUI and unknown ones stably', () => {
    expect(socketColor('LATENT')).toBe('#ff9cf9');
    expect(socketColor('FOO')).toBe(socketColor('FOO'));
    expect(socketColor('FOO')).toMatch(/^hsl\(/);
  });
});
