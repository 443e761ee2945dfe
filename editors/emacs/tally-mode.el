;;; tally-mode.el --- Tally playbooks: highlighting, comments, and tally lsp through eglot  -*- lexical-binding: t; -*-
;; (load "/path/to/tally/editors/emacs/tally-mode.el") in your init file; M-x eglot in a playbook.

(defconst tally-font-lock-keywords
  `((,(concat "^[ \t]*" (regexp-opt '("playbook" "param" "load" "assert" "compare" "save" "snapshot"
                                       "export" "show" "profile" "counts" "chart" "mask" "track") 'words))
     . font-lock-keyword-face)
    ;; Any word after | is a step (the steps are listed once, in StepRegistry.swift).
    ("|[ \t]*\\(\\<[a-z][a-z_]*\\>\\)" 1 font-lock-keyword-face)
    (,(regexp-opt '("and" "or" "not" "in" "is" "between" "like" "case" "when" "then" "else" "end" "from" "as"
                    "with" "by" "on" "to" "into" "where" "columns" "limit" "severity" "message" "id" "within"
                    "expect" "order" "desc" "asc" "across" "except" "calpads" "header" "encoding" "split") 'words)
     . font-lock-builtin-face)
    (,(regexp-opt '("true" "false" "null") 'words) . font-lock-constant-face)
    (":[ \t]*\\<\\(text\\|integer\\|decimal\\|date\\|boolean\\|path\\)\\>" 1 font-lock-type-face)
    ("^[ \t]*param[ \t]+\\([A-Za-z_][A-Za-z0-9_]*\\)" 1 font-lock-variable-name-face)
    ("^\\([A-Za-z_][A-Za-z0-9_]*\\)[ \t]*=[^=]" 1 font-lock-function-name-face)
    ("@[0-9]\\{4\\}-[0-9]\\{2\\}-[0-9]\\{2\\}" . font-lock-constant-face)
    ("\\<[0-9]+\\(\\.[0-9]+\\)?%?" . font-lock-constant-face)))

(defvar tally-mode-syntax-table
  (let ((table (make-syntax-table)))
    (modify-syntax-entry ?# "<" table)
    (modify-syntax-entry ?\n ">" table)
    (modify-syntax-entry ?\" "\"" table)
    (modify-syntax-entry ?` "\"" table)
    (modify-syntax-entry ?_ "_" table)
    table))

;;;###autoload
(define-derived-mode tally-mode prog-mode "Tally"
  "Major mode for Tally playbooks."
  (setq-local comment-start "# ")
  (setq-local comment-start-skip "#+[ \t]*")
  (setq-local indent-tabs-mode nil)
  (setq-local tab-width 2)
  (setq-local font-lock-defaults '(tally-font-lock-keywords)))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.playbook\\'" . tally-mode))

;; The eglot line: tally lsp for tally-mode buffers (M-x eglot, or eglot-ensure in a hook).
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs '(tally-mode . ("tally" "lsp"))))

(provide 'tally-mode)
;;; tally-mode.el ends here
