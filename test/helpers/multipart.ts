/** A minimal PDF the document store accepts (`file-type` reads the `%PDF-` magic number). */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

/** One part of a `multipart/form-data` body: a text field or a file. */
export type Part = { name: string; value: string } | { name: string; filename: string; type: string; data: Buffer };

/** A `multipart/form-data` body (RFC 7578) with the parts in the given order, as a browser sends a form. */
export function multipart(parts: Part[]): { payload: Buffer; contentType: string } {
  const boundary = '----solidaris-test-4b2d9a';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if ('value' in p) chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    else {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`));
      chunks.push(p.data, Buffer.from('\r\n'));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
