#include "report.h"

#include "board.h"

/* Longest line: "TPW OUT 4294967295 " + N values of at most 5 chars ("-128,"). Lines
 * are built in this buffer and flushed whenever it fills, so any output size works. */
#define LINE_BUFFER 128

typedef struct {
  char data[LINE_BUFFER];
  size_t len;
} line_t;

static void line_flush(line_t *line) {
  board_uart_write(line->data, line->len);
  line->len = 0;
}

static void line_str(line_t *line, const char *s) {
  for (; *s; ++s) {
    if (line->len == LINE_BUFFER) line_flush(line);
    line->data[line->len++] = *s;
  }
}

static void line_uint(line_t *line, uint32_t value) {
  char text[11];
  size_t n = sizeof(text) - 1;
  text[n] = '\0';
  do {
    text[--n] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value);
  line_str(line, &text[n]);
}

static void line_int(line_t *line, int32_t value) {
  if (value < 0) line_str(line, "-");
  line_uint(line, value < 0 ? 0u - (uint32_t)value : (uint32_t)value);
}

static void line_end(line_t *line) {
  line_str(line, "\n");
  line_flush(line);
}

void report_ready(uint32_t sysclk_hz, uint32_t inputs, uint32_t arena_used, uint32_t arena_size) {
  line_t line = {.len = 0};
  line_str(&line, "TPW READY sysclk=");
  line_uint(&line, sysclk_hz);
  line_str(&line, " inputs=");
  line_uint(&line, inputs);
  line_str(&line, " arena_used=");
  line_uint(&line, arena_used);
  line_str(&line, " arena_size=");
  line_uint(&line, arena_size);
  line_end(&line);
}

void report_output(uint32_t index, const int8_t *values, size_t count) {
  line_t line = {.len = 0};
  line_str(&line, "TPW OUT ");
  line_uint(&line, index);
  line_str(&line, " ");
  for (size_t i = 0; i < count; ++i) {
    if (i) line_str(&line, ",");
    line_int(&line, values[i]);
  }
  line_end(&line);
}

void report_spin(uint32_t index, uint32_t n) {
  line_t line = {.len = 0};
  line_str(&line, "TPW SPIN ");
  line_uint(&line, index);
  line_str(&line, " ");
  line_uint(&line, n);
  line_end(&line);
}

void report_status_and_exit(int code, const char *message) {
  line_t line = {.len = 0};
  line_str(&line, "TPW STATUS ");
  line_int(&line, code);
  line_str(&line, " ");
  /* A message is one line whatever the runtime put in it. */
  for (const char *c = message; *c; ++c) {
    const char one[2] = {(*c == '\n' || *c == '\r') ? ' ' : *c, '\0'};
    line_str(&line, one);
  }
  line_end(&line);
  board_exit(code);
}
