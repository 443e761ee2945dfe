-- Tally playbooks in Neovim 0.7 or later with the built-in LSP client: *.playbook is filetype
-- `tally`, each playbook is attached to `tally lsp` (one server per project folder), and the last
-- run's row counts (inlay hints) are shown at the end of each cell's line.
-- 0.7 has no vim.lsp.start and no inlay-hint UI, so both are done here by hand.
local M = {}

local ns = vim.api.nvim_create_namespace('tally_inlay_hints')
local clients = {} -- root folder -> client id

-- The command that serves the protocol: g:tally_cmd (a list), else g:tally_path or `tally`.
local function command()
  if type(vim.g.tally_cmd) == 'table' then return vim.g.tally_cmd end
  return { vim.g.tally_path or 'tally', 'lsp' }
end

-- The project folder: the nearest one holding `.git`, else the playbook's own folder. The server
-- finds the QA store `tally run` made (`.tally/` where it ran) from there and from the playbook's
-- folder upward. `.tally` is not a marker: a stray one in a parent (say /tmp/.tally) would win
-- over the playbook's own before its first run.
local function root_of(bufnr)
  local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':p:h')
  if vim.g.tally_root then return vim.g.tally_root end
  local git = vim.fn.finddir('.git', dir .. ';')
  if git ~= '' then return vim.fn.fnamemodify(git, ':p:h:h') end -- ':p' ends a folder with '/'
  git = vim.fn.findfile('.git', dir .. ';') -- a worktree's .git file
  return git ~= '' and vim.fn.fnamemodify(git, ':p:h') or dir
end
M.root_of = root_of

local function label_text(label)
  if type(label) == 'string' then return label end
  local parts = {}
  for _, part in ipairs(label or {}) do table.insert(parts, part.value or '') end
  return table.concat(parts)
end

-- Asks the server for the whole buffer's inlay hints and shows each at the end of its line.
function M.refresh_hints(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_loaded(bufnr) then return end
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = { start = { line = 0, character = 0 },
              ['end'] = { line = vim.api.nvim_buf_line_count(bufnr), character = 0 } },
  }
  vim.lsp.buf_request(bufnr, 'textDocument/inlayHint', params, function(err, result)
    if err or not vim.api.nvim_buf_is_loaded(bufnr) then return end
    vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
    local lines = vim.api.nvim_buf_line_count(bufnr)
    for _, hint in ipairs(result or {}) do
      local line = math.min(hint.position.line, lines - 1)
      vim.api.nvim_buf_set_extmark(bufnr, ns, line, 0, {
        virt_text = { { label_text(hint.label), 'Comment' } }, virt_text_pos = 'eol',
      })
    end
  end)
end

local function supports(client, capability)
  return client.server_capabilities and client.server_capabilities[capability]
end

local function on_attach(client, bufnr)
  local map = function(keys, fn) vim.keymap.set('n', keys, fn, { buffer = bufnr, silent = true }) end
  map('K', vim.lsp.buf.hover)
  map('gd', vim.lsp.buf.definition)
  map('gr', vim.lsp.buf.references)
  map('<leader>rn', vim.lsp.buf.rename)
  map('<leader>ca', vim.lsp.buf.code_action)
  map('<leader>f', vim.lsp.buf.formatting)
  map('<leader>l', vim.lsp.codelens.run)
  map('[d', vim.diagnostic.goto_prev)
  map(']d', vim.diagnostic.goto_next)
  vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc' -- <C-x><C-o> completes
  local group = vim.api.nvim_create_augroup('tally_buffer_' .. bufnr, { clear = true })
  if supports(client, 'inlayHintProvider') then
    -- After `tally run` in a terminal the cache has changed: look again on coming back.
    vim.api.nvim_create_autocmd({ 'BufEnter', 'BufWritePost', 'FocusGained', 'CursorHold' }, {
      group = group, buffer = bufnr, callback = function() M.refresh_hints(bufnr) end,
    })
    M.refresh_hints(bufnr)
  end
  if supports(client, 'codeLensProvider') then
    vim.api.nvim_create_autocmd({ 'BufEnter', 'BufWritePost', 'InsertLeave' }, {
      group = group, buffer = bufnr, callback = function() vim.lsp.codelens.refresh() end,
    })
  end
end

-- The server may ask for fresh hints (after "run to here"): redraw them in every Tally buffer.
local handlers = {
  ['workspace/inlayHint/refresh'] = function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].filetype == 'tally' then M.refresh_hints(b) end
    end
    return vim.NIL
  end,
}

-- Starts (or reuses) the server for the buffer's project and attaches the buffer to it.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local root = root_of(bufnr)
  local id = clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client({
      name = 'tally', cmd = command(), root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
      on_attach = on_attach, handlers = handlers,
    })
    if not id then
      vim.notify('tally: could not start ' .. table.concat(command(), ' '), vim.log.levels.ERROR)
      return nil
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

function M.setup(options)
  options = options or {}
  if options.cmd then vim.g.tally_cmd = options.cmd end
  local group = vim.api.nvim_create_augroup('tally', { clear = true })
  vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
    group = group, pattern = '*.playbook', command = 'setfiletype tally',
  })
  vim.api.nvim_create_autocmd('FileType', {
    group = group, pattern = 'tally', callback = function(args) M.attach(args.buf) end,
  })
  vim.api.nvim_create_user_command('TallyHints', function() M.refresh_hints(0) end,
    { desc = "Show the last run's row counts beside each cell" })
end

return M
