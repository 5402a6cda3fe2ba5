" kb.vim: ask kb, the just-in-time concept lookup for machine learning (its README: editors/vim), from Vim or
" Neovim.
"   :KbAsk       ask about the current line, or a visual selection (:'<,'>KbAsk); the answer opens in a
"                scratch split with filetype=markdown
"   :KbSnippet   insert the best page's snippet below the cursor (or below the selection)
"   :KbExplain   explain this buffer (a training script or notebook): its knobs, likely mistakes and where to
"                start, in the same scratch split
" Settings: g:kb_command (default 'kb'), e.g. '/path/to/venv/bin/kb'.
if exists('g:loaded_kb')
  finish
endif
let g:loaded_kb = 1
let g:kb_command = get(g:, 'kb_command', 'kb')

" Runs kb with the text on stdin; stderr goes to a file so that only the answer lands in the buffer.
function! s:Run(args, line1, line2) abort
  if !executable(split(g:kb_command)[0])
    echohl ErrorMsg | echomsg 'kb not found: install it or set g:kb_command' | echohl None
    return []
  endif
  let l:errfile = tempname()
  let l:out = system(g:kb_command . ' ' . a:args . ' 2>' . shellescape(l:errfile),
        \ join(getline(a:line1, a:line2), "\n") . "\n")
  let l:status = v:shell_error
  let l:err = filereadable(l:errfile) ? join(readfile(l:errfile), ' ') : ''
  call delete(l:errfile)
  " exit 1 = no confident match: kb still prints the nearest pages, which are worth showing
  if l:status >= 2
    echohl ErrorMsg | echomsg (empty(l:err) ? 'kb failed with exit code ' . l:status : l:err) | echohl None
    return []
  endif
  return split(l:out, "\n", 1)
endfunction

function! s:Ask(line1, line2) abort
  call s:Show(s:Run('ask --format markdown', a:line1, a:line2))
endfunction

" kb explain reads the whole buffer on stdin; --name shows the buffer's file name in the answer.
function! s:Explain() abort
  let l:name = empty(expand('%:t')) ? '[No Name]' : expand('%:t')
  call s:Show(s:Run('explain - --format markdown --name ' . shellescape(l:name), 1, line('$')))
endfunction

" The answer in the [kb] scratch split (reused when it is open), as Markdown.
function! s:Show(lines) abort
  let l:lines = a:lines
  if empty(l:lines)
    return
  endif
  let l:win = bufwinnr('^\[kb\]$')
  if l:win > 0
    execute l:win . 'wincmd w'
  else
    new
    silent file [kb]
    setlocal buftype=nofile bufhidden=hide noswapfile
  endif
  setlocal modifiable
  silent %delete _
  call setline(1, l:lines)
  setlocal filetype=markdown nomodified
  call cursor(1, 1)
endfunction

function! s:Snippet(line1, line2) abort
  let l:lines = s:Run('ask --code', a:line1, a:line2)
  if len(l:lines) > 0 && l:lines[-1] ==# ''
    call remove(l:lines, -1)
  endif
  if empty(l:lines)
    echomsg 'kb: no confident match; nothing to insert (try :KbAsk)'
    return
  endif
  call append(a:line2, l:lines)
endfunction

command! -range KbAsk call s:Ask(<line1>, <line2>)
command! -range KbSnippet call s:Snippet(<line1>, <line2>)
command! KbExplain call s:Explain()
