-- A Neovim configuration for Tally playbooks, whole: `nvim -u editors/nvim/init.lua census.playbook`.
-- In your own config instead: vim.opt.runtimepath:append('/path/to/tally/editors/nvim')
-- then require('tally').setup() (options: { cmd = { '/path/to/tally', 'lsp' } }).
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
vim.opt.runtimepath:prepend(here) -- lua/tally.lua, syntax/tally.vim, ftplugin/tally.vim
vim.cmd('filetype plugin on')
vim.cmd('syntax on')
vim.o.updatetime = 1000 -- CursorHold, when the hints are looked up again
require('tally').setup()
