/* QEMU TCG plugin: exact instruction counts between two marker functions.
 *
 * Arguments (addresses from the ELF symbol table, Thumb bit ignored):
 *   begin=0x<addr of tpw_marker_begin>,end=0x<addr of tpw_marker_end>
 *
 * Prints to QEMU's stdout, interleaved in order with the guest UART lines:
 *   TPW BOOT_INSTR <n>   at the first begin marker: instructions since reset
 *   TPW INSTR <i> <n>    at the i-th end marker: instructions from the first
 *                        instruction of the begin marker up to, not including,
 *                        the first instruction of the end marker
 *
 * Counting: every executed translation block adds its instruction count to
 * `executed` when it starts; a marker instruction at index k of an n-instruction
 * block therefore sits at position executed - n + k. Only marker instructions get
 * a per-instruction callback, so the cost is one callback per block.
 * The guest has one vCPU, so the counters need no locking.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 2;

enum marker_kind { MARKER_BEGIN, MARKER_END };

/* Where one marker instruction sits inside one translated block. */
typedef struct {
  enum marker_kind kind;
  uint64_t insns_from_here_to_block_end; /* n - k */
} marker_site_t;

static uint64_t begin_addr, end_addr;
static uint64_t executed;       /* instructions of every block started so far */
static uint64_t region_start;   /* position of the current begin marker */
static uint64_t regions_closed; /* index of the next INSTR line */
static int boot_reported;

static void emit(const char *line) {
  /* Straight to fd 1: the UART chardev writes there too, unbuffered, from the
   * same vCPU thread, so the lines keep program order. */
  size_t len = strlen(line);
  while (len) {
    ssize_t n = write(STDOUT_FILENO, line, len);
    if (n <= 0) return;
    line += n;
    len -= (size_t)n;
  }
}

static void on_block(unsigned int vcpu, void *n_insns) {
  (void)vcpu;
  executed += (uint64_t)(uintptr_t)n_insns;
}

static void on_marker(unsigned int vcpu, void *site_ptr) {
  (void)vcpu;
  const marker_site_t *site = site_ptr;
  uint64_t position = executed - site->insns_from_here_to_block_end;
  char line[64];
  if (site->kind == MARKER_BEGIN) {
    region_start = position;
    if (!boot_reported) {
      boot_reported = 1;
      snprintf(line, sizeof(line), "TPW BOOT_INSTR %" PRIu64 "\n", position);
      emit(line);
    }
    return;
  }
  snprintf(line, sizeof(line), "TPW INSTR %" PRIu64 " %" PRIu64 "\n", regions_closed++,
           position - region_start);
  emit(line);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
  for (size_t k = 0; k < n; ++k) {
    uint64_t vaddr = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, k));
    if (vaddr != begin_addr && vaddr != end_addr) continue;
    /* One site per translation of a marker: a handful per run, kept for the
     * lifetime of QEMU because the block may execute until exit. */
    marker_site_t *site = malloc(sizeof(*site));
    if (!site) return;
    site->kind = vaddr == begin_addr ? MARKER_BEGIN : MARKER_END;
    site->insns_from_here_to_block_end = n - k;
    qemu_plugin_register_vcpu_insn_exec_cb(qemu_plugin_tb_get_insn(tb, k), on_marker,
                                           QEMU_PLUGIN_CB_NO_REGS, site);
  }
}

static int parse_address(const char *arg, const char *key, uint64_t *out) {
  size_t key_len = strlen(key);
  if (strncmp(arg, key, key_len) != 0 || arg[key_len] != '=') return 0;
  char *end = NULL;
  unsigned long long value = strtoull(arg + key_len + 1, &end, 0);
  if (end == arg + key_len + 1 || *end != '\0') return 0;
  *out = (uint64_t)value & ~(uint64_t)1; /* Thumb bit */
  return 1;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv) {
  (void)info;
  int have_begin = 0, have_end = 0;
  for (int i = 0; i < argc; ++i) {
    if (parse_address(argv[i], "begin", &begin_addr)) {
      have_begin = 1;
    } else if (parse_address(argv[i], "end", &end_addr)) {
      have_end = 1;
    } else {
      fprintf(stderr, "tpw_insn_count: bad argument '%s' (want begin=0x..., end=0x...)\n", argv[i]);
      return -1;
    }
  }
  if (!have_begin || !have_end || begin_addr == end_addr) {
    fprintf(stderr, "tpw_insn_count: need distinct begin=0x... and end=0x... addresses\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  return 0;
}
