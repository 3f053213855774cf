/* utf8.c - see utf8.h. */
#include "utf8.h"

size_t sg_utf8_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    size_t len = s[0] >= 0xF0 && s[0] <= 0xF4   ? 4
                 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                                                : 0;
    if (len == 0 || len > n)
        return 0;
    unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
    if (s[0] == 0xE0)
        lo = 0xA0; /* else overlong */
    else if (s[0] == 0xED)
        hi = 0x9F; /* else a surrogate */
    else if (s[0] == 0xF0)
        lo = 0x90; /* else overlong */
    else if (s[0] == 0xF4)
        hi = 0x8F; /* else past U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}
