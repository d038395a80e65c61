/** Fields a database error may carry (pg and PGlite both set them), for messages that say where. */
export interface DatabaseErrorFields {
  message?: string;
  detail?: string;
  code?: string;
  constraint?: string;
  table?: string;
}
