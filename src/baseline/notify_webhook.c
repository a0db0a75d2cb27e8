/* POSTing a JSON summary to a webhook with libcurl. */
#include "latentbench/notify.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "latentbench/error.h"

/* The server's answer is not needed; reading it keeps the connection sane. */
static size_t discard(char *p, size_t size, size_t n, void *user)
{
    (void)p;
    (void)user;
    return size * n;
}

/* The host part of url, without user info: the rest of a webhook URL is a
 * credential and must not reach logs. */
static void url_host(const char *url, char *out, size_t len)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    size_t n = strcspn(h, "/?#");
    const char *at = memchr(h, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    snprintf(out, len, "%.*s", (int)(n < 200 ? n : 200), h);
}

int lb_notify_webhook(const char *url, const char *json, long timeout_ms, char *err, size_t errlen)
{
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return lb_errorf(err, errlen, LB_EUSAGE, "webhook: the URL must start with http:// or https://");
    if (timeout_ms <= 0) timeout_ms = LB_NOTIFY_TIMEOUT_MS;
    char host[256];
    url_host(url, host, sizeof host);

    /* paired with the cleanup below: libcurl counts them, and a leak checker
     * sees no global state left behind */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return lb_errorf(err, errlen, LB_EIO, "webhook %s: libcurl could not start", host);
    CURL *h = curl_easy_init();
    struct curl_slist *headers = NULL, *hd;
    int rc = LB_OK;
    if (!h) rc = lb_errorf(err, errlen, LB_EIO, "webhook %s: libcurl could not start", host);
    /* Expect: off, or a large body waits for a 100-continue some servers never send */
    if (!rc) {
        hd = curl_slist_append(headers, "Content-Type: application/json");
        if (hd) {
            headers = hd;
            hd = curl_slist_append(headers, "Expect:");
        }
        if (hd) headers = hd;
        else rc = lb_errorf(err, errlen, LB_ENOMEM, "webhook %s: out of memory", host);
    }
    if (!rc) {
        char cerr[CURL_ERROR_SIZE] = "";
        long connect_ms = timeout_ms < LB_NOTIFY_CONNECT_TIMEOUT_MS ? timeout_ms : LB_NOTIFY_CONNECT_TIMEOUT_MS;
        curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
        curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json ? json : "{}");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json ? json : "{}"));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for DNS timeouts */
        curl_easy_setopt(h, CURLOPT_USERAGENT, "latentbench");
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
        CURLcode c = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (c != CURLE_OK)
            rc = lb_errorf(err, errlen, LB_EIO, "webhook %s: %s", host, cerr[0] ? cerr : curl_easy_strerror(c));
        else if (status < 200 || status >= 300)
            rc = lb_errorf(err, errlen, LB_EIO, "webhook %s: HTTP status %ld", host, status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return rc;
}
