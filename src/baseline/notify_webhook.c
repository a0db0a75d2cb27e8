/* POSTing a JSON summary to a webhook with libcurl. */
#include "latentbench/notify.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "latentbench/error.h"
#include "latentbench/text.h"

/* The server's answer is not needed; reading it keeps the connection sane. */
static size_t discard(char *p, size_t size, size_t n, void *user)
{
    (void)p;
    (void)user;
    return size * n;
}

char *lb_notify_redact_url(char *dst, size_t len, const char *url)
{
    if (!len) return dst;
    if (!url) url = "";
    const char *sep = strstr(url, "://");
    const char *h = sep ? sep + 3 : url;
    /* Userinfo ends at the last '@' of the whole URL, not at the first '/':
     * a password may hold '/', '?' or '#' that a parser stopping there would
     * take for the path and print. */
    const char *at = strrchr(h, '@');
    int had_user = at != NULL;
    if (at) h = at + 1;
    size_t n = strcspn(h, "/?#");
    char raw[512];
    snprintf(raw, sizeof raw, "%s%.*s%s", had_user ? "***@" : "", (int)(n < 255 ? n : 255), h, h[n] ? "/..." : "");
    return lb_sanitize(dst, len, raw);
}

int lb_notify_webhook(const char *url, const char *json, long timeout_ms, char *err, size_t errlen)
{
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return lb_errorf(err, errlen, LB_EUSAGE, "webhook: the URL must start with http:// or https://");
    if (timeout_ms <= 0) timeout_ms = LB_NOTIFY_TIMEOUT_MS;
    char host[512];
    lb_notify_redact_url(host, sizeof host, url);

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
        /* libcurl's own message may quote parts of the URL (a host parsed out
         * of a malformed userinfo): only its generic text is printed */
        if (c != CURLE_OK) rc = lb_errorf(err, errlen, LB_EIO, "webhook %s: %s", host, curl_easy_strerror(c));
        else if (status < 200 || status >= 300)
            rc = lb_errorf(err, errlen, LB_EIO, "webhook %s: HTTP status %ld", host, status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return rc;
}
