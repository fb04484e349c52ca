module sft/leggo

go 1.19
