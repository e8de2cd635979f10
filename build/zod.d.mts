// Types of build/zod.mjs: zod's own, minus nothing a caller of this project uses.
import { z } from "zod";

export * from "zod";
export { z };
export default z;
