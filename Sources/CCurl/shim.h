#ifndef AGW_CCURL_SHIM_H
#define AGW_CCURL_SHIM_H

#include <curl/curl.h>

/*
 * curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call.
 * These typed wrappers fix the argument type for each kind of option so the
 * compiler checks what Swift passes.
 */

typedef size_t (*agw_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*agw_progress_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                     curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode agw_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}

static inline CURLcode agw_set_offset(CURL *curl, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(curl, option, value);
}

/* libcurl copies strings passed to curl_easy_setopt (except POSTFIELDS; use COPYPOSTFIELDS). */
static inline CURLcode agw_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}

static inline CURLcode agw_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}

/* The list must stay alive until the transfer has finished. */
static inline CURLcode agw_set_slist(CURL *curl, CURLoption option, struct curl_slist *list) {
    return curl_easy_setopt(curl, option, list);
}

/* CURL_BLOB_COPY: libcurl keeps its own copy, so the Swift buffer may go away afterwards. */
static inline CURLcode agw_set_blob(CURL *curl, CURLoption option, const void *data, size_t length) {
    struct curl_blob blob;
    blob.data = (void *)data;
    blob.len = length;
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(curl, option, &blob);
}

static inline CURLcode agw_set_data_callback(CURL *curl, CURLoption option, agw_data_callback callback) {
    return curl_easy_setopt(curl, option, callback);
}

static inline CURLcode agw_set_progress_callback(CURL *curl, agw_progress_callback callback) {
    return curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode agw_get_long(CURL *curl, CURLINFO info, long *value) {
    return curl_easy_getinfo(curl, info, value);
}

static inline CURLcode agw_get_string(CURL *curl, CURLINFO info, char **value) {
    return curl_easy_getinfo(curl, info, value);
}

#endif
