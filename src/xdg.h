/*
 * xdg.h - the user's cache and state directories (XDG Base Directory).
 */
#ifndef AR_XDG_H
#define AR_XDG_H

/*
 * The directory "$VAR/aurarouter" when the variable var holds an absolute
 * path, else "$HOME/<fallback>/aurarouter" (fallback ".cache" or
 * ".local/state"). Returns a new string owned by the caller, or NULL when
 * neither is set. Creates nothing.
 */
char *xdg_dir(const char *var, const char *fallback);

/* Creates path and its missing parents (mode 0700). Returns 0 or -1
 * (errno set). */
int xdg_mkdirs(const char *path);

#endif
