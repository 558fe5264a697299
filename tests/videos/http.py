"""Plain HTTP, as a browser fetches a presigned URL: no AWS credentials."""

import urllib.error
import urllib.request


def http_get(url, **headers):
    """Status, headers and body of a GET."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
