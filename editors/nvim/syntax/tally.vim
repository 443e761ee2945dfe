" Tally playbooks: the same words as editors/vscode/syntaxes/tally.tmLanguage.json.
if exists('b:current_syntax') | finish | endif

syn match tallyStatement /^\s*\zs\<\(playbook\|param\|load\|assert\|compare\|save\|snapshot\|export\|show\|profile\|counts\|chart\|mask\|track\)\>/
" Any word after | is a step (the steps are listed once, in StepRegistry.swift).
syn match tallyStep /\(|\s*\)\@<=\<[a-z][a-z_]*\>/
syn match tallyPipe /|/
syn keyword tallyOperatorWord and or not in is between like case when then else end
syn keyword tallyClause from as with by on to into of where columns limit severity error warning message id expected version previous run within expect inner left full anti semi order asc desc values across all except calpads year extract errors rejected report csv tsv delimited xlsx sqlite header encoding missing trim upper masked unmasked raw map delimiter dates sheet row split required unique valid empty scope snapshot table
syn match tallyClause /\<\(one-to-one\|one-to-many\|many-to-one\|many-to-many\)\>/
syn keyword tallyConstant true false null
syn match tallyType /\(:\s*\)\@<=\<\(text\|integer\|decimal\|date\|boolean\|path\)\>/
syn match tallyFunction /\<\(upper\|lower\|trim\|len\|substr\|concat\|coalesce\|if\|case\|nullif\|matches\|extract\|replace\|date\|year\|month\|day\|age\|age_on\|days_between\|date_diff\|add_days\|pad_left\|today\|round\|abs\|grade_order\|number\|integer\|count\|count_distinct\|sum\|min\|max\|avg\|row_number\|rank\|lag\|lead\)\ze\s*(/
syn match tallyNumber /\<\d\+\(\.\d\+\)\?%\?/
syn match tallyDate /@\d\{4}-\d\{2}-\d\{2}/
syn match tallyParamName /\(^\s*param\s\+\)\@<=\w\+/
syn match tallyDefinition /^\w\+\ze\s*=[^=]/
syn match tallyEscape /\\["\\nt]/ contained
syn match tallyInterpolation /{\w\+}/ contained
syn region tallyString start=/"/ skip=/\\"/ end=/"\|$/ contains=tallyEscape,tallyInterpolation
syn match tallySingleQuoted /'[^']*'/
syn match tallyQuotedName /`[^`]*`/
syn match tallyComment /#.*$/ contains=@Spell
syn match tallyNarrative /^\s*##.*$/ contains=@Spell

hi def link tallyStatement Statement
hi def link tallyStep Statement
hi def link tallyPipe Operator
hi def link tallyOperatorWord Operator
hi def link tallyClause Keyword
hi def link tallyConstant Constant
hi def link tallyType Type
hi def link tallyFunction Function
hi def link tallyNumber Number
hi def link tallyDate Number
hi def link tallyParamName Identifier
hi def link tallyDefinition Identifier
hi def link tallyEscape SpecialChar
hi def link tallyInterpolation Identifier
hi def link tallyString String
hi def link tallySingleQuoted Error
hi def link tallyQuotedName Identifier
hi def link tallyComment Comment
hi def link tallyNarrative SpecialComment

let b:current_syntax = 'tally'
