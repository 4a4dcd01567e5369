*** Settings ***
Documentation     The STM32L4 harness on a simulated B-L475E-IOT01A: outputs equal TFLM's (for
...               DECODE files too: LUT-compressed on the file itself, synthesized kernels on the
...               baked file), instruction counts repeat exactly, an unsupported op ends in an error status.
...               Line format: micro/tpw_micro/firmware/stm32l4/README.md. Run from the repository root.
Resource          ${RENODEKEYWORDS}
Library           Collections
Library           firmware_cases.py
Suite Setup       Setup
Suite Teardown    Teardown
Test Teardown     Test Teardown


*** Variables ***
${RENODEKEYWORDS}    ${CURDIR}/qemu_keywords.resource
${UART}              sysbus.usart1
${RESC}              micro/tpw_micro/sim/stm32l4.resc
${BOOT_TIMEOUT}      120


*** Test Cases ***
Separable CNN Outputs Equal TFLM
    Outputs Should Equal TFLM    separable

HyperTinyPW Outputs Equal TFLM
    Outputs Should Equal TFLM    hypertinypw

LUT-Compressed Ternary CNN Outputs Equal TFLM
    [Documentation]    2-bit per-channel LUT DECODEs, which stock TFLM runs: its outputs on the same file.
    Outputs Should Equal TFLM    ternary_lut

Boot Synthesis Outputs Equal TFLM On The Baked File
    [Documentation]    Type-128 DECODEs synthesize the kernels once; TFLM cannot, so it runs the baked file.
    Outputs Should Equal TFLM    hypertinypw_boot

Lazy Synthesis Outputs Equal TFLM On The Baked File
    Outputs Should Equal TFLM    hypertinypw_lazy

Instruction Counts Are Identical Across Two Boots
    ${first}=     Instruction Counts Of One Boot    separable
    ${second}=    Instruction Counts Of One Boot    separable
    Lists Should Be Equal    ${first}    ${second}

Boot Synthesis Instruction Counts Are Identical Across Two Boots
    ${first}=     Instruction Counts Of One Boot    hypertinypw_boot
    ${second}=    Instruction Counts Of One Boot    hypertinypw_boot
    Lists Should Be Equal    ${first}    ${second}

Unsupported Op Reports Its Error And A Non-Zero Status
    Boot Case    unsupported_tanh
    # The runtime names the op by its builtin code (TANH = 28).
    Wait For Line On Uart    ^TPW STATUS [1-9][0-9]* .*(TANH|operator 28 )    treatAsRegex=true


*** Keywords ***
Boot Case
    [Arguments]    ${case}
    ${elf}=    Build Firmware For Case    ${case}
    Execute Command    $elf=@${elf}
    Execute Command    include @${RESC}
    Create Terminal Tester    ${UART}    timeout=${BOOT_TIMEOUT}
    Start Emulation

Outputs Should Equal TFLM
    [Arguments]    ${case}
    Boot Case    ${case}
    ${count}=    Number Of Inputs For Case    ${case}
    FOR    ${i}    IN RANGE    ${count}
        ${line}=    Expected Output Line    ${case}    ${i}
        Wait For Line On Uart    ^${line}$    treatAsRegex=true
    END
    Wait For Line On Uart    ^TPW STATUS 0 ok$    treatAsRegex=true

Instruction Counts Of One Boot
    [Documentation]    Boot instructions, then one count per input (QEMU plugin lines).
    [Arguments]    ${case}
    Boot Case    ${case}
    ${boot}=    Wait For Line On Uart    ^TPW BOOT_INSTR ([0-9]+)$    treatAsRegex=true
    @{counts}=    Create List    ${boot.groups[0]}
    ${count}=    Number Of Inputs For Case    ${case}
    FOR    ${i}    IN RANGE    ${count}
        ${instr}=    Wait For Line On Uart    ^TPW INSTR ${i} ([0-9]+)$    treatAsRegex=true
        Append To List    ${counts}    ${instr.groups[0]}
    END
    Wait For Line On Uart    ^TPW STATUS 0 ok$    treatAsRegex=true
    Reset Emulation
    RETURN    ${counts}
