/* netcheck.c - see netcheck.h. */
#include "netcheck.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* SO_REUSEADDR as the servers set it: a port left in TIME_WAIT by a system
 * just stopped is free; one with a listener (on 127.0.0.1 or 0.0.0.0) is not. */
int sg_netcheck_port_free(int port, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) || bind(fd, (struct sockaddr *)&a, sizeof a) ||
                     listen(fd, 1)
                 ? -1
                 : 0;
    if (rc)
        snprintf(err, errlen, "%s", strerror(errno));
    close(fd);
    return rc;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p, (void)ctx;
    return size * n;
}

static bool curl_ready;

int sg_netcheck_ready(int port, int timeout_ms, char *what, size_t whatlen)
{
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(what, whatlen, "curl_global_init failed");
            return 0;
        }
        curl_ready = true;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(what, whatlen, "curl_easy_init failed");
        return 0;
    }
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", port);
    long code = 0;
    CURLcode r = curl_easy_setopt(c, CURLOPT_URL, url);
    if (r == CURLE_OK)
        r = curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (r == CURLE_OK)
        r = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (r == CURLE_OK)
        r = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    if (r == CURLE_OK)
        r = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (r == CURLE_OK)
        r = curl_easy_perform(c);
    if (r == CURLE_OK)
        r = curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    if (r != CURLE_OK) {
        snprintf(what, whatlen, "%s: %s", url, curl_easy_strerror(r));
        return 0;
    }
    snprintf(what, whatlen, "%s: HTTP %ld", url, code);
    return code == 200;
}

void sg_netcheck_done(void)
{
    if (curl_ready)
        curl_global_cleanup();
    curl_ready = false;
}
