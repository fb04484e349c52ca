/* SFT_INDEPENDENT_FAULTS=name[,name]: read once at start (faults.def is the table). */
#include "eke5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned char g_faults[FAULT_COUNT];

static const char *const FAULT_NAMES[] = {
#define FAULT(id, name, req, line) name,
#include "faults.def"
#undef FAULT
};

void faults_load(void)
{
    const char *env = getenv("SFT_INDEPENDENT_FAULTS");
    if (env == NULL || *env == '\0')
        return;
    char *copy = strdup(env);
    if (copy == NULL)
        return;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int i = 0; i < FAULT_COUNT; i++) {
            if (strcmp(FAULT_NAMES[i], tok) == 0) {
                g_faults[i] = 1;
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "eke5: unknown fault %s\n", tok);
            exit(2);
        }
    }
    free(copy);
}

void faults_print(void)
{
    for (int i = 0; i < FAULT_COUNT; i++)
        if (g_faults[i])
            printf("eke5: planted fault %s\n", FAULT_NAMES[i]);
}
