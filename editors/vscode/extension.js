// Starts `tally lsp` (stdio) for *.playbook files. Highlighting, comments and brackets come from
// package.json alone; this file only adds the language server.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('tally').get('path') || 'tally';
  client = new LanguageClient('tally', 'Tally', { command, args: ['lsp'] },
    { documentSelector: [{ scheme: 'file', language: 'tally' }] });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() { return client ? client.stop() : undefined; }

module.exports = { activate, deactivate };
