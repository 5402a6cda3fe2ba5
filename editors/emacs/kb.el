;;; kb.el --- Ask kb why your model misbehaves -*- lexical-binding: t; -*-

;; Usage: (require 'kb), select an error or a question (or put point on a line) and M-x kb-ask-region.
;; The answer appears in the *kb* buffer (markdown-mode when installed).  M-x kb-insert-snippet inserts the
;; best page's snippet at point.  M-x kb-explain-buffer explains the training script (or notebook) in the current
;; buffer: its knobs, likely mistakes and where to start, in *kb*.  Set `kb-command' if kb is not on your PATH.

;;; Code:

(require 'subr-x)  ; string-trim, string-empty-p on Emacs < 29

(defgroup kb nil
  "Just-in-time concept lookup for machine learning."
  :group 'tools)

(defcustom kb-command "kb"
  "The kb executable."
  :type 'string)

(defun kb--bounds ()
  "The active region, or the current line."
  (if (use-region-p)
      (list (region-beginning) (region-end))
    (list (line-beginning-position) (line-end-position))))

(defun kb--run (text &rest args)
  "Run kb with ARGS and TEXT on stdin; return its stdout, or signal a `user-error' with kb's message."
  (unless (executable-find kb-command)
    (user-error "%s" "kb not found: install it or set kb-command"))
  (let ((errfile (make-temp-file "kb-err")))
    (unwind-protect
        (with-temp-buffer
          (insert text)
          ;; DELETE=t replaces the input with kb's stdout; stderr goes to ERRFILE, never into the answer.
          (let ((status (apply #'call-process-region (point-min) (point-max) kb-command t (list t errfile) nil args)))
            (when (or (not (integerp status)) (>= status 2))  ; 1 = no confident match: still an answer
              (user-error "kb: %s" (string-trim (with-temp-buffer (insert-file-contents errfile) (buffer-string)))))
            (buffer-string)))
      (delete-file errfile))))

(defun kb--show (answer)
  "Show ANSWER (Markdown) in the read-only *kb* buffer and return that buffer."
  (let ((buf (get-buffer-create "*kb*")))
    (with-current-buffer buf
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert answer)
        (goto-char (point-min)))
      (if (fboundp 'markdown-mode) (markdown-mode) (text-mode))
      (setq buffer-read-only t))
    (display-buffer buf)
    buf))

;;;###autoload
(defun kb-ask-region (start end)
  "Ask kb about the text between START and END (the region, or the current line); show the answer in *kb*."
  (interactive (kb--bounds))
  (kb--show (kb--run (buffer-substring-no-properties start end) "ask" "--format" "markdown")))

;;;###autoload
(defun kb-explain-buffer ()
  "Explain the training script or notebook in the current buffer (kb explain); show the answer in *kb*."
  (interactive)
  (kb--show (kb--run (buffer-substring-no-properties (point-min) (point-max))
                     "explain" "-" "--format" "markdown" "--name" (buffer-name))))

;;;###autoload
(defun kb-insert-snippet (start end)
  "Insert the snippet of kb's best page for the text between START and END after that text."
  (interactive (kb--bounds))
  (let* ((text (buffer-substring-no-properties start end))
         (code (kb--run text "ask" "--code")))
    (if (string-empty-p code)
        (message "kb: no confident match; nothing to insert (try kb-ask-region)")
      (save-excursion
        (goto-char end)
        (end-of-line)
        (insert "\n" (string-trim-right code))))))

(provide 'kb)
;;; kb.el ends here
