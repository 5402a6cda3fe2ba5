;;; kb.el --- Ask kb why your model misbehaves -*- lexical-binding: t; -*-

;; Usage: (require 'kb), select an error or a question (or put point on a line) and M-x kb-ask-region.
;; The answer appears in the *kb* buffer (markdown-mode when installed).  M-x kb-insert-snippet inserts the
;; best page's snippet at point.  Set `kb-command' if kb is not on your PATH.

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

;;;###autoload
(defun kb-ask-region (start end)
  "Ask kb about the text between START and END (the region, or the current line); show the answer in *kb*."
  (interactive (kb--bounds))
  (let* ((text (buffer-substring-no-properties start end))
         (answer (kb--run text "ask" "--format" "markdown"))
         (buf (get-buffer-create "*kb*")))
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
