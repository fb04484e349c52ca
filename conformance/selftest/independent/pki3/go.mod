module sft/pki3

go 1.19
