/*
 * cert_download — GET /v1/certificates/{id}/download?format=: the certificate as a file
 * with its own media type and a Content-Disposition filename:
 *   pem_fullchain (default), pem_leaf, pem_chain  application/pem-certificate-chain
 *   pem_key (only when certmill made the key)     application/x-pem-file
 *   der (the leaf)                                application/pkix-cert
 *   p7b (leaf + chain, PKCS#7 certs-only, DER)    application/pkcs7-mime; smime-type=certs-only
 *   pfx (key + leaf + chain, PKCS#12)             application/x-pkcs12
 * pfx needs the password in the X-PFX-Password request header (1 to 128 printable ASCII
 * characters; never in the URL, where logs would keep it); pfx_legacy=1 picks the
 * PBE-SHA1-3DES / HMAC-SHA-1 encoding older Windows needs. Answers with a private key
 * carry Cache-Control: no-store and are wiped from memory after sending.
 */
#ifndef CM_FCGI_CERT_DOWNLOAD_H
#define CM_FCGI_CERT_DOWNLOAD_H

#include "app.h"
#include "request.h"
#include "response.h"

#define FCGI_PFX_PASSWORD_MAX 128 /* characters of X-PFX-Password */

/* GET /v1/certificates/{id}/download?format=&pfx_legacy=. */
void fcgi_certs_download(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
