// dt-sql-parser's ES modules import folders ("./parser") and extensionless
// files, which bundlers resolve but Node's ESM loader refuses. This resolve
// hook retries such imports as folder/index.js and file.js.
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err && err.code === 'ERR_UNSUPPORTED_DIR_IMPORT') return next(specifier + '/index.js', context);
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && specifier.startsWith('.')) return next(specifier + '.js', context);
    throw err;
  }
}
