/* JSON output: strings escaped so that any bytes make valid JSON. */
#ifndef NOTW_CLI_JSON_H
#define NOTW_CLI_JSON_H

#include <stdio.h>

/* s as a JSON string, quotes included: '"' and '\' escaped, control
 * characters (and DEL) as \u00XX, valid UTF-8 as it is, and each byte that
 * is not part of valid UTF-8 as \ufffd, the replacement character. */
void json_string(FILE *out, const char *s);

#endif
