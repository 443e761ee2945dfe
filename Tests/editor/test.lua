-- Run by Tests/editor/run.sh inside `nvim --headless -u editors/nvim/init.lua`, in a folder
-- holding census_day.playbook and its generated district (data/). Drives the configuration's
-- client against `tally lsp` as a user would, prints one line per check, and quits with the
-- number of failed checks as its exit status.
local tally = os.getenv('TALLY')
local failures, published = 0, {} -- uri -> { count, diagnostics } from publishDiagnostics

local function say(text) io.stdout:write(text .. '\n'); io.stdout:flush() end
local function check(ok, what, detail)
  if ok then say('ok   ' .. what) else
    failures = failures + 1
    say('FAIL ' .. what .. (detail and (': ' .. detail) or ''))
  end
end

-- Every diagnostics notification is recorded before the usual handler shows it.
local show = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  local seen = published[result.uri] or { count = 0 }
  published[result.uri] = { count = seen.count + 1, diagnostics = result.diagnostics }
  return show(err, result, ctx, config)
end

local function uri(bufnr) return vim.uri_from_bufnr(bufnr) end
local function lines(bufnr) return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false) end
local function line_of(bufnr, pattern)
  for i, l in ipairs(lines(bufnr)) do if l:find(pattern) then return i - 1, l end end
  error('no line matches ' .. pattern)
end
local function describe(diagnostics)
  local out = {}
  for _, d in ipairs(diagnostics or {}) do
    table.insert(out, string.format('line %d: %s', d.range.start.line + 1, d.message))
  end
  return #out == 0 and 'none' or table.concat(out, ' | ')
end
-- Waits for a diagnostics notification after `after` of them and for `ok` to hold of it.
local function diagnostics_after(bufnr, after, ok, seconds)
  local got
  vim.wait((seconds or 10) * 1000, function()
    local p = published[uri(bufnr)]
    if p and p.count > after then got = p.diagnostics; return ok(got) end
    return false
  end, 50)
  return got
end
local function count(bufnr) return (published[uri(bufnr)] or { count = 0 }).count end
-- One request to the buffer's server; the result, or nil and why not.
local function request(bufnr, method, params)
  local answers, err = vim.lsp.buf_request_sync(bufnr, method, params, 10000)
  if not answers then return nil, err or 'no answer' end
  for _, answer in pairs(answers) do
    if answer.error then return nil, vim.inspect(answer.error) end
    return answer.result
  end
  return nil, 'no server answered'
end
local function position(bufnr, line, character)
  return { textDocument = { uri = uri(bufnr) }, position = { line = line, character = character } }
end
local function hover_text(contents)
  if type(contents) == 'string' then return contents end
  if contents.value then return contents.value end
  local parts = {}
  for _, c in ipairs(contents) do table.insert(parts, hover_text(c)) end
  return table.concat(parts, '\n')
end

local function run()
  vim.cmd('edit census_day.playbook')
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo.filetype == 'tally', 'census_day.playbook is filetype tally', vim.bo.filetype)
  local saved = lines(buf) -- the playbook as on disk, put back after each edit below
  local function restore() vim.api.nvim_buf_set_lines(buf, 0, -1, false, saved) end
  local attached = vim.wait(10000, function() return next(vim.lsp.buf_get_clients(buf)) ~= nil end, 50)
  check(attached, 'the buffer is attached to tally lsp')
  if not attached then return end

  -- 1. The README's example has no problems.
  local d = diagnostics_after(buf, 0, function() return true end, 20)
  check(d ~= nil and #d == 0, 'opening census_day.playbook shows no diagnostics',
        d == nil and 'no diagnostics were published' or describe(d))

  -- 2. A misspelt column: one diagnostic, at its line, with the suggestion.
  local line, text = line_of(buf, '^primaries = enrolled | filter EnrollmentStatusCode')
  local before = count(buf)
  vim.api.nvim_buf_set_lines(buf, line, line + 1, false, { (text:gsub('EnrollmentStatusCode', 'EnrollmentStatusCod')) })
  d = diagnostics_after(buf, before, function(ds) return #ds > 0 end)
  check(d ~= nil and #d == 1 and d[1].range.start.line == line and d[1].message:find('EnrollmentStatusCode', 1, true) ~= nil,
        'a misspelt column gives one diagnostic at line ' .. (line + 1) .. ' suggesting EnrollmentStatusCode',
        d == nil and 'no diagnostics were published' or describe(d))

  -- 3. Its code action puts the right name back.
  if d and #d >= 1 then
    local actions, why = request(buf, 'textDocument/codeAction', {
      textDocument = { uri = uri(buf) }, range = d[1].range, context = { diagnostics = { d[1] } },
    })
    local fix
    for _, a in ipairs(actions or {}) do
      if a.edit and vim.inspect(a.edit):find('EnrollmentStatusCode', 1, true) then fix = a; break end
    end
    check(fix ~= nil, 'a code action offers EnrollmentStatusCode', why or vim.inspect(actions))
    if fix then
      before = count(buf)
      vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
      local now = lines(buf)[line + 1]
      check(now == text, 'applying it fixes the line', now)
      d = diagnostics_after(buf, before, function(ds) return #ds == 0 end)
      check(d ~= nil and #d == 0, 'and the diagnostic goes away', d == nil and 'no diagnostics were published' or describe(d))
    end
  else
    check(false, 'a code action offers EnrollmentStatusCode', 'no diagnostic to act on')
  end
  -- Whatever happened above, go on from the file as it is on disk.
  restore()

  -- 4. Completion after `| filter ` lists the columns of the table flowing in.
  local last = #lines(buf)
  vim.api.nvim_buf_set_lines(buf, last, last, false, { 'probe = enrolled | filter ' })
  vim.wait(300)
  local items, why = request(buf, 'textDocument/completion', position(buf, last, #'probe = enrolled | filter '))
  local labels = {}
  for _, item in ipairs((items and (items.items or items)) or {}) do labels[item.label] = true end
  local missing = {}
  for _, column in ipairs({ 'SSID', 'GradeLevelCode', 'EnrollmentStatusCode', 'SchoolOfAttendance' }) do
    if not labels[column] then table.insert(missing, column) end
  end
  check(items ~= nil and #missing == 0, 'completion after "| filter " lists the columns',
        why or ('missing ' .. table.concat(missing, ', ') .. ' among ' .. vim.inspect(vim.tbl_keys(labels))))
  restore()

  -- 5. Hovering a table shows its columns.
  line, text = line_of(buf, '^enrolled = senr')
  local hover
  hover, why = request(buf, 'textDocument/hover', position(buf, line, text:find('senr', 1, true)))
  local shown = hover and hover.contents and hover_text(hover.contents) or ''
  check(shown:find('EnrollmentStatusCode', 1, true) and shown:find('SSID', 1, true),
        'hovering senr shows its columns', why or shown)

  -- 6. Formatting gives tally fmt's layout.
  vim.cmd('edit badly_indented.playbook')
  local bad = vim.api.nvim_get_current_buf()
  vim.wait(10000, function() return next(vim.lsp.buf_get_clients(bad)) ~= nil end, 50)
  local original = lines(bad)
  local expected = vim.fn.readfile('expected_format.playbook')
  local edits
  edits, why = request(bad, 'textDocument/formatting', vim.tbl_extend('force', vim.lsp.util.make_formatting_params(),
                                                                      { textDocument = { uri = uri(bad) } }))
  if edits then vim.lsp.util.apply_text_edits(edits, bad, 'utf-16') end
  local formatted = lines(bad)
  check(not vim.deep_equal(original, expected) and vim.deep_equal(formatted, expected),
        "formatting a badly indented playbook gives tally fmt's layout",
        why or ('got:\n' .. table.concat(formatted, '\n') .. '\nexpected:\n' .. table.concat(expected, '\n')))

  -- 7. After `tally run`, inlay hints give each cell's rows.
  vim.cmd('buffer ' .. buf)
  local output = vim.fn.system({ tally, 'run', 'census_day.playbook' })
  check(vim.v.shell_error == 1, 'tally run census_day.playbook exits 1 (its planted defects)',
        'exit ' .. vim.v.shell_error .. ': ' .. output:sub(-400))
  local hints
  hints, why = request(buf, 'textDocument/inlayHint', {
    textDocument = { uri = uri(buf) },
    range = { start = { line = 0, character = 0 }, ['end'] = { line = #lines(buf), character = 0 } },
  })
  -- The cells that make a table: a load or NAME = ..., with the lines that continue them.
  local cells, source = {}, lines(buf)
  for i, l in ipairs(source) do
    local name = l:match('^load%s+([%w_]+)') or l:match('^([%w_]+)%s*=[^=]')
    if name then table.insert(cells, { name = name, first = i - 1, last = i - 1 })
    elseif #cells > 0 and cells[#cells].last == i - 2 and (l:match('^%s+%S') or l:match('^|')) then
      cells[#cells].last = i - 1
    end
  end
  local without = {}
  for _, cell in ipairs(cells) do
    local found = false
    for _, h in ipairs(hints or {}) do
      local label = type(h.label) == 'string' and h.label or vim.inspect(h.label)
      if h.position.line >= cell.first and h.position.line <= cell.last and label:find('row') then found = true end
    end
    if not found then table.insert(without, cell.name .. ' (line ' .. (cell.first + 1) .. ')') end
  end
  check(hints ~= nil and #cells >= 8 and #without == 0, 'after tally run, inlay hints show rows for each of the '
        .. #cells .. ' cells that make a table', why or ('none for ' .. table.concat(without, ', ') .. '; hints: ' .. vim.inspect(hints)))

  -- 8. The configuration shows them at the end of each cell's line (0.7 has no inlay-hint UI).
  require('tally').refresh_hints(buf)
  local ns = vim.api.nvim_create_namespace('tally_inlay_hints')
  local marks = {}
  vim.wait(10000, function()
    marks = vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })
    return #marks > 0
  end, 50)
  local shown_at = {}
  for _, mark in ipairs(marks) do
    local virt = mark[4].virt_text or {}
    if virt[1] and virt[1][1]:find('rows') then shown_at[mark[2]] = virt[1][1] end
  end
  line = line_of(buf, '^enrolled = senr')
  check(#marks == #(hints or {}) and shown_at[line] ~= nil,
        "the configuration shows them at the ends of the cells' lines (enrolled: " .. tostring(shown_at[line]) .. ')',
        #marks .. ' marks for ' .. #(hints or {}) .. ' hints')
end

local ok, err = pcall(run)
if not ok then check(false, 'the test ran to its end', tostring(err)) end
vim.cmd((failures == 0) and 'qall!' or ('cquit ' .. failures))
