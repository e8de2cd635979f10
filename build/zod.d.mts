// Types of build/zod.mjs: zod's own, with `z` narrowed to the factories the stand-in keeps.
import { z as full } from "zod";

export * from "zod";
export declare const z: Pick<
  typeof full,
  | "any"
  | "array"
  | "boolean"
  | "enum"
  | "iso"
  | "literal"
  | "looseObject"
  | "NEVER"
  | "number"
  | "object"
  | "record"
  | "strictObject"
  | "string"
  | "unknown"
  | "ZodError"
  | "ZodType"
>;
export default z;
