// The cluster's nodes (GrpcPlugins.Management's cluster mode): alive or dead and when each was last seen, and each
// plugin's state per node. Hidden on a single node, where GET /v1/nodes answers 409.

import { badge, el } from './ui.js';

const section = () => document.getElementById('nodes');

// Draws the nodes list, or hides the section when the host is not part of a cluster.
export function renderNodes(nodes) {
  section().hidden = !nodes?.cluster;
  if (!nodes?.cluster) {
    return;
  }
  document.getElementById('node-rows').replaceChildren(...(nodes.nodes ?? []).map((node) => el('tr', { 'data-node': node.name },
    el('td', { text: node.name + (node.name === nodes.node ? ' (this node)' : '') }),
    el('td', {}, badge(node.alive ? 'alive' : 'dead')),
    el('td', { text: new Date(node.lastSeen).toLocaleString() }),
  )));
}

// "a running, b stopped": a plugin's state on each node, as badges, for the plugins table.
export function nodeStates(plugin) {
  return (plugin.nodeStatus ?? []).map((status) => el('span', {
    class: 'node-state',
    'data-node': status.node,
    title: [status.version && `version ${status.version}`, status.lastError].filter(Boolean).join('; '),
  }, `${status.node} `, badge(status.status)));
}
