/*
 * fuzz_ollama_host - libFuzzer harness for the OLLAMA_HOST parser.
 *
 * config_ollama_url() either rejects the value (NULL) or returns a URL
 * that starts with http:// or https://, holds no white space or control
 * character, has no trailing '/', is a fixed point (parsing it again gives
 * it back) and is a URL libcurl's parser accepts with that scheme.
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void
check_curl(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL;

	if (u == NULL)
		abort();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		abort();	/* libcurl cannot use it */
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		abort();
	curl_free(scheme);
	curl_url_cleanup(u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *host, *url, *again;
	size_t i, n;

	host = malloc(size + 1);
	memcpy(host, data, size);
	host[size] = '\0';
	if ((url = config_ollama_url(host)) == NULL) {
		free(host);
		return 0;
	}
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		abort();
	for (i = 0, n = strlen(url); i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			abort();
	if (n > 0 && url[n - 1] == '/')
		abort();
	if ((again = config_ollama_url(url)) == NULL || strcmp(again, url) != 0)
		abort();	/* not a fixed point */
	check_curl(url);
	free(again);
	free(url);
	free(host);
	return 0;
}
