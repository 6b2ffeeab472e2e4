/* Shared by dockling-shim.c and dockling-pty.c (each includes it; both are single-file static
 * programs). A terminal's new sizes arrive as text lines, "ROWS COLS\n", on a FIFO or a pipe:
 * this hands each complete line of buf[0..*len) to set() and keeps a partial one for the next
 * read. A full buffer with no newline is garbage and is dropped. */
static void resize_lines(char *buf, size_t *len, size_t cap, void (*set)(unsigned rows, unsigned cols)) {
	buf[*len] = 0;
	char *line = buf, *nl;
	while ((nl = strchr(line, '\n'))) {
		unsigned rows, cols;
		*nl = 0;
		if (sscanf(line, "%u %u", &rows, &cols) == 2) set(rows, cols);
		line = nl + 1;
	}
	*len = strlen(line);
	memmove(buf, line, *len);
	if (*len == cap - 1) *len = 0;
}
