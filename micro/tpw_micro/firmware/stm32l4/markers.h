/* Instruction-count markers.
 *
 * The simulator's counting plugin (micro/tpw_micro/sim/tpw_insn_count.c) is given the
 * addresses of these two functions from the ELF symbol table. It counts every
 * instruction executed from the first instruction of tpw_marker_begin() up to,
 * not including, the first instruction of tpw_marker_end(), and prints
 * `TPW INSTR <i> <n>` for the i-th begin/end pair. It also prints
 * `TPW BOOT_INSTR <n>` at the first tpw_marker_begin(): the instructions from
 * reset to that point.
 *
 * They must stay real, distinct, out-of-line functions: noipa keeps GCC from
 * inlining, cloning or merging them (identical bodies would fold to one address).
 */
#ifndef TPW_STM32L4_MARKERS_H_
#define TPW_STM32L4_MARKERS_H_

#ifdef __cplusplus
extern "C" {
#endif

void tpw_marker_begin(void);
void tpw_marker_end(void);

#ifdef __cplusplus
}
#endif

#endif /* TPW_STM32L4_MARKERS_H_ */
